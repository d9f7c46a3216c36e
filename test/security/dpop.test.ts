import { createExecutionContext } from "cloudflare:test";
import { env } from "cloudflare:workers";
import { calculateJwkThumbprint, exportJWK } from "jose";
import * as oauth from "oauth4webapi";
import { describe, expect, it } from "vitest";
import { TokenVerifier } from "../../src/index.ts";
import { createVerifier } from "../../src/verify.ts";
import itty from "../fixtures/recipes/itty.ts";
import { call, claimsOf, createApplicationKey, error, ORIGIN, post } from "../support/helpers.ts";
import { type ClientKey, clientKey, hmacJwt, proof, thumbprint, unsignedJwt } from "../support/possession.ts";

/**
 * Tokens a thief cannot use (RFC 9449): bound to the client's DPoP key at the token endpoint,
 * and accepted by every verifier only with a proof for the request they come with.
 */
const TOKEN = "/oauth/access_token";
const TOKEN_URL = `${ORIGIN}${TOKEN}`;
const API = "https://api.example";
const as: oauth.AuthorizationServer = { issuer: ORIGIN, token_endpoint: TOKEN_URL };
const viaWorker = { [oauth.customFetch]: (url: string, init: RequestInit) => call(new URL(url).pathname, init) } as const;

type Creds = { client_id: string; client_secret: string };
const cc = (c: Creds) => ({ grant_type: "client_credentials", client_id: c.client_id, client_secret: c.client_secret });

async function boundToken(c: Creds, k: ClientKey, grant: "client_credentials" | "implicit" = "client_credentials") {
  const params = grant === "implicit" ? { grant_type: "implicit", client_id: c.client_id } : cc(c);
  const res = await post(TOKEN, params, { DPoP: await proof(k, "POST", TOKEN_URL) });
  const body = (await res.json()) as { access_token: string; token_type: string; data: { token_type: string } };
  if (res.status !== 200) throw new Error(`${res.status} ${JSON.stringify(body)}`);
  return body;
}

const proofError = (detail: string) => error(400, "Bad Request", "invalid_dpop_proof", detail);

describe("DPoP at the token endpoint", () => {
  it("oauth4webapi's DPoP gets a token bound to its key; the response says DPoP; introspection shows cnf", async () => {
    const c = await createApplicationKey();
    const keyPair = (await crypto.subtle.generateKey({ name: "ECDSA", namedCurve: "P-256" }, false, ["sign", "verify"])) as CryptoKeyPair;
    const client: oauth.Client = { client_id: c.client_id };
    const dpop = oauth.DPoP(client, keyPair);
    const response = await oauth.clientCredentialsGrantRequest(
      as,
      client,
      oauth.ClientSecretPost(c.client_secret),
      {},
      { ...viaWorker, DPoP: dpop },
    );
    const body = await oauth.processClientCredentialsResponse(as, client, response);
    expect(body.token_type).toBe("dpop");
    const claims = claimsOf(body.access_token);
    // The public half of a non-extractable key pair is always exportable.
    expect(claims.cnf).toStrictEqual({ jkt: await calculateJwkThumbprint(await exportJWK(keyPair.publicKey)) });

    const inspector = await createApplicationKey("inspector");
    const introspected = await post("/oauth/introspect", {
      token: body.access_token,
      client_id: inspector.client_id,
      client_secret: inspector.client_secret,
    });
    expect(await introspected.json()).toMatchObject({ active: true, token_type: "DPoP", cnf: { jkt: claims.cnf!.jkt } });
    // revocation works unchanged
    expect((await post("/oauth/revoke", { token: body.access_token, ...cc(c) })).status).toBe(200);
    expect(
      await (
        await post("/oauth/introspect", {
          token: body.access_token,
          client_id: inspector.client_id,
          client_secret: inspector.client_secret,
        })
      ).json(),
    ).toStrictEqual({ active: false });
  });

  it("binds an implicit token too, and says DPoP in data and at the top level", async () => {
    const c = await createApplicationKey();
    const k = await clientKey("ES256");
    const body = await boundToken(c, k, "implicit");
    expect([body.token_type, body.data.token_type, claimsOf(body.access_token).cnf]).toStrictEqual([
      "DPoP",
      "DPoP",
      { jkt: await thumbprint(k) },
    ]);
  });

  // Each a proof wrong in one way; all 400 invalid_dpop_proof.
  const wrong: [string, (k: ClientKey, other: ClientKey) => Promise<Record<string, string>>, string][] = [
    [
      "two DPoP headers",
      async (k) => ({ DPoP: `${await proof(k, "POST", TOKEN_URL)}, ${await proof(k, "POST", TOKEN_URL)}` }),
      "Send exactly one DPoP header.",
    ],
    ["not a JWT", async () => ({ DPoP: "not.a-jwt" }), "The DPoP proof is not a well-formed JWT."],
    [
      "no typ",
      async (k) => ({ DPoP: await proof(k, "POST", TOKEN_URL, { header: { typ: undefined } }) }),
      'The DPoP proof\'s typ must be "dpop+jwt".',
    ],
    [
      "typ JWT",
      async (k) => ({ DPoP: await proof(k, "POST", TOKEN_URL, { header: { typ: "JWT" } }) }),
      'The DPoP proof\'s typ must be "dpop+jwt".',
    ],
    [
      "alg none",
      async (k) => {
        const { kid: _, alg: __, ...jwk } = k.jwk;
        return {
          DPoP: `${unsignedJwt({ alg: "none", typ: "dpop+jwt", jwk }, { htm: "POST", htu: TOKEN_URL, iat: Math.floor(Date.now() / 1000), jti: "n" })}x`,
        };
      },
      "The DPoP proof's alg must be its key's: EdDSA (or Ed25519), ES256 or PS256.",
    ],
    [
      "an HMAC",
      async (k) => {
        const { kid: _, alg: __, ...jwk } = k.jwk;
        return {
          DPoP: await hmacJwt({ typ: "dpop+jwt", jwk }, { htm: "POST", htu: TOKEN_URL, iat: Math.floor(Date.now() / 1000), jti: "h" }),
        };
      },
      "The DPoP proof's alg must be its key's: EdDSA (or Ed25519), ES256 or PS256.",
    ],
    [
      "a private key in its jwk",
      async (k) => ({ DPoP: await proof(k, "POST", TOKEN_URL, { header: { jwk: { ...k.jwk, d: "AAAA" } } }) }),
      "The DPoP proof's jwk must be a public Ed25519 or P-256 key, or an RSA (PS256) key of 2048 to 4096 bits with e = 65537.",
    ],
    [
      "no jwk",
      async (k) => ({ DPoP: await proof(k, "POST", TOKEN_URL, { header: { jwk: undefined } }) }),
      "The DPoP proof's jwk must be a public Ed25519 or P-256 key, or an RSA (PS256) key of 2048 to 4096 bits with e = 65537.",
    ],
    [
      "a signature by another key",
      async (k, other) => ({ DPoP: await proof(k, "POST", TOKEN_URL, { signWith: { ...other, alg: k.alg } }) }),
      "The DPoP proof's signature does not verify with its jwk.",
    ],
    ["htm GET", async (k) => ({ DPoP: await proof(k, "GET", TOKEN_URL) }), "The DPoP proof's htm is not this request's method."],
    [
      "htu another path",
      async (k) => ({ DPoP: await proof(k, "POST", `${ORIGIN}/oauth/revoke`) }),
      "The DPoP proof's htu is not this request's URL without query and fragment.",
    ],
    [
      "htu another origin",
      async (k) => ({ DPoP: await proof(k, "POST", `https://evil.example${TOKEN}`) }),
      "The DPoP proof's htu is not this request's URL without query and fragment.",
    ],
    [
      "htu with a query",
      async (k) => ({ DPoP: await proof(k, "POST", `${TOKEN_URL}?x=1`) }),
      "The DPoP proof's htu is not this request's URL without query and fragment.",
    ],
    [
      "iat two minutes old",
      async (k) => ({ DPoP: await proof(k, "POST", TOKEN_URL, { claims: { iat: Math.floor(Date.now() / 1000) - 120 } }) }),
      "The DPoP proof's iat is outside the window this service accepts.",
    ],
    [
      "iat two minutes ahead",
      async (k) => ({ DPoP: await proof(k, "POST", TOKEN_URL, { claims: { iat: Math.floor(Date.now() / 1000) + 120 } }) }),
      "The DPoP proof's iat is outside the window this service accepts.",
    ],
    ["no jti", async (k) => ({ DPoP: await proof(k, "POST", TOKEN_URL, { claims: { jti: undefined } }) }), "The DPoP proof has no jti."],
  ];
  for (const [name, make, detail] of wrong) {
    it(`400 invalid_dpop_proof for ${name}`, async () => {
      const c = await createApplicationKey();
      const res = await post(TOKEN, cc(c), await make(await clientKey("EdDSA"), await clientKey("EdDSA")));
      expect([res.status, await res.json()]).toStrictEqual([400, proofError(detail)]);
    });
  }

  it("a proof is used once, across locations: the same proof twice at once to two Workers succeeds once", async () => {
    const c = await createApplicationKey();
    const k = await clientKey();
    const p = await proof(k, "POST", TOKEN_URL);
    const body = new URLSearchParams(cc(c)).toString();
    const headers = { "Content-Type": "application/x-www-form-urlencoded", DPoP: p };
    const [a, b] = await Promise.all([
      call(TOKEN, { method: "POST", headers, body }),
      env.EDGE_TOKEN.fetch(TOKEN_URL, { method: "POST", headers, body }),
    ]);
    expect([a.status, b.status].sort()).toStrictEqual([200, 400]);
    const again = await post(TOKEN, cc(c), { DPoP: p });
    expect([again.status, await again.json()]).toStrictEqual([400, proofError("This DPoP proof was used before.")]);
  });

  it("a key with dpop_bound_access_tokens gets no token without a proof", async () => {
    const c = await createApplicationKey("bound", { dpop_bound_access_tokens: true });
    const res = await post(TOKEN, cc(c));
    expect([res.status, await res.json()]).toStrictEqual([400, proofError("This key's tokens are DPoP-bound: send a DPoP proof.")]);
    expect((await boundToken(c, await clientKey())).token_type).toBe("DPoP");
  });
});

describe("DPoP in every verifier", () => {
  const rpc = () => new TokenVerifier(createExecutionContext(), env);
  const module = createVerifier({ issuer: ORIGIN, jwks: env.EDGE_TOKEN, revocations: env.REVOCATIONS });

  async function bound() {
    const c = await createApplicationKey();
    const k = await clientKey("ES256");
    return { c, k, token: (await boundToken(c, k)).access_token };
  }
  const request = (url: string, init: { method?: string; authorization?: string; dpop?: string } = {}) =>
    new Request(url, {
      method: init.method ?? "GET",
      headers: { ...(init.authorization ? { Authorization: init.authorization } : {}), ...(init.dpop ? { DPoP: init.dpop } : {}) },
    });

  it("a bound token with its proof passes verifyRequest, over RPC and in-process; verify(token) alone refuses it", async () => {
    const { k, token } = await bound();
    for (const [name, v] of [
      ["rpc", rpc()],
      ["module", module],
    ] as const) {
      const url = `${API}/orders/${name}`;
      const ok = await v.verifyRequest(
        request(url, { authorization: `DPoP ${token}`, dpop: await proof(k, "GET", url, { accessToken: token }) }),
      );
      expect([name, ok.valid]).toStrictEqual([name, true]);
      expect([name, await v.verify(token, { method: "GET" })]).toStrictEqual([name, { valid: false, status: 401, error: "dpop_required" }]);
    }
  });

  it("refuses a bound token as Bearer, without its proof, or with a proof that is not for this request, token or key", async () => {
    const { k, token } = await bound();
    const other = await bound();
    const url = `${API}/orders/1`;
    const cases: [string, () => Promise<Request>, string][] = [
      [
        "as Bearer, proof and all",
        async () => request(url, { authorization: `Bearer ${token}`, dpop: await proof(k, "GET", url, { accessToken: token }) }),
        "dpop_required",
      ],
      ["with no proof", async () => request(url, { authorization: `DPoP ${token}` }), "dpop_required"],
      [
        "a proof for another URL",
        async () =>
          request(url, { authorization: `DPoP ${token}`, dpop: await proof(k, "GET", `${API}/orders/2`, { accessToken: token }) }),
        "dpop_invalid",
      ],
      [
        "a proof for another method",
        async () => request(url, { authorization: `DPoP ${token}`, dpop: await proof(k, "POST", url, { accessToken: token }) }),
        "dpop_invalid",
      ],
      [
        "a proof for another token (ath)",
        async () => request(url, { authorization: `DPoP ${token}`, dpop: await proof(k, "GET", url, { accessToken: other.token }) }),
        "dpop_invalid",
      ],
      [
        "a proof without ath",
        async () => request(url, { authorization: `DPoP ${token}`, dpop: await proof(k, "GET", url) }),
        "dpop_invalid",
      ],
      [
        "a proof by another key (cnf.jkt)",
        async () => request(url, { authorization: `DPoP ${token}`, dpop: await proof(other.k, "GET", url, { accessToken: token }) }),
        "dpop_invalid",
      ],
      [
        "a stale proof",
        async () =>
          request(url, {
            authorization: `DPoP ${token}`,
            dpop: await proof(k, "GET", url, { accessToken: token, claims: { iat: Math.floor(Date.now() / 1000) - 300 } }),
          }),
        "dpop_invalid",
      ],
    ];
    for (const v of [rpc(), module]) {
      for (const [name, make, code] of cases) {
        expect([name, await v.verifyRequest(await make())]).toStrictEqual([name, { valid: false, status: 401, error: code }]);
      }
    }
  });

  it("a proof is used once per verifier (in this isolate): its replay is refused", async () => {
    const { k, token } = await bound();
    const url = `${API}/orders/replayed`;
    const p = await proof(k, "GET", url, { accessToken: token });
    for (const v of [rpc(), module]) {
      const first = await v.verifyRequest(request(url, { authorization: `DPoP ${token}`, dpop: p }));
      const again = await v.verifyRequest(request(url, { authorization: `DPoP ${token}`, dpop: p }));
      expect([first.valid, again]).toStrictEqual([true, { valid: false, status: 401, error: "dpop_invalid" }]);
    }
  });

  it("a bearer token passes as Bearer and is refused with the DPoP scheme", async () => {
    const c = await createApplicationKey();
    const token = ((await (await post(TOKEN, cc(c))).json()) as { access_token: string }).access_token;
    for (const v of [rpc(), module]) {
      expect((await v.verifyRequest(request(`${API}/x`, { authorization: `Bearer ${token}` }))).valid).toBe(true);
      expect(await v.verifyRequest(request(`${API}/x`, { authorization: `DPoP ${token}` }))).toStrictEqual({
        valid: false,
        status: 401,
        error: "not_dpop_bound",
      });
    }
  });

  it("the fixture consumer accepts a bound token with its proof over both ways, and answers a refusal with both challenges", async () => {
    const { k, token } = await bound();
    for (const way of ["rpc", "module"]) {
      const url = `${API}/${way}/catalog/items`;
      const ok = await env.CONSUMER.fetch(url, {
        headers: { Authorization: `DPoP ${token}`, DPoP: await proof(k, "GET", url, { accessToken: token }) },
      });
      expect([way, ok.status]).toStrictEqual([way, 200]);
      const asBearer = await env.CONSUMER.fetch(url, { headers: { Authorization: `Bearer ${token}` } });
      expect([asBearer.status, asBearer.headers.get("X-Verify-Error"), asBearer.headers.get("WWW-Authenticate")]).toStrictEqual([
        401,
        "dpop_required",
        'Bearer realm="api", error="invalid_token", DPoP algs="EdDSA Ed25519 ES256 PS256", error="invalid_token"',
      ]);
      const elsewhere = await env.CONSUMER.fetch(url, {
        headers: { Authorization: `DPoP ${token}`, DPoP: await proof(k, "GET", `${API}/${way}/other`, { accessToken: token }) },
      });
      // RFC 9449 §7.1: the token was good, its proof was not.
      expect([elsewhere.status, elsewhere.headers.get("X-Verify-Error"), elsewhere.headers.get("WWW-Authenticate")]).toStrictEqual([
        401,
        "dpop_invalid",
        'Bearer realm="api", error="invalid_token", DPoP algs="EdDSA Ed25519 ES256 PS256", error="invalid_dpop_proof"',
      ]);
    }
  });

  it("oauth4webapi's protectedResourceRequest with DPoP, against the itty-router recipe (withToken)", async () => {
    const c = await createApplicationKey();
    const keyPair = (await crypto.subtle.generateKey({ name: "Ed25519" }, false, ["sign", "verify"])) as CryptoKeyPair;
    const client: oauth.Client = { client_id: c.client_id };
    const dpop = oauth.DPoP(client, keyPair);
    // the recipe describes its API (RFC 9728): the token is asked for it, with `resource`
    const resource = "https://orders.example";
    const tokenResponse = await oauth.clientCredentialsGrantRequest(
      as,
      client,
      oauth.ClientSecretPost(c.client_secret),
      { resource },
      { ...viaWorker, DPoP: dpop },
    );
    const { access_token } = await oauth.processClientCredentialsResponse(as, client, tokenResponse);
    const ittyEnv = { ISSUER: ORIGIN, RESOURCE: resource, EDGE_TOKEN: env.EDGE_TOKEN, REVOCATIONS: env.REVOCATIONS };
    const res = await oauth.protectedResourceRequest(access_token, "POST", new URL(`${API}/orders`), new Headers(), null, {
      DPoP: dpop,
      [oauth.customFetch]: (url: string, init: RequestInit) => itty.fetch(new Request(url, init), ittyEnv, createExecutionContext()),
    });
    expect([res.status, await res.json()]).toStrictEqual([200, { ordered_by: c.client_id }]);
    // the same token, stolen, as Bearer
    const stolen = await itty.fetch(
      new Request(`${API}/orders`, { method: "POST", headers: { Authorization: `Bearer ${access_token}` } }),
      ittyEnv,
      createExecutionContext(),
    );
    expect(stolen.status).toBe(401);
  });
});

describe("recipe: a storefront's implicit token bound to a browser key", () => {
  it("the page gets a bound token cross-origin and reads the shop's API with it; a copy of the token is useless", async () => {
    const { dpopKey, implicitToken, getFromApi } = await import("../fixtures/recipes/storefront.js");
    const api = (await import("../fixtures/recipes/storefront-api.ts")).default;
    const apiEnv = { ISSUER: ORIGIN, EDGE_TOKEN: env.EDGE_TOKEN, REVOCATIONS: env.REVOCATIONS };
    const shop = await createApplicationKey("shop", { grant_types: ["implicit"] });
    const page = "https://shop.example";
    // What the browser does: a preflight for each cross-origin request with Authorization or DPoP, then the request.
    const browserFetch = async (input: RequestInfo | URL, init?: RequestInit) => {
      const request = new Request(input, init);
      const preflight = new Request(request.url, {
        method: "OPTIONS",
        headers: {
          Origin: page,
          "Access-Control-Request-Method": request.method,
          "Access-Control-Request-Headers": [...request.headers.keys()].join(","),
        },
      });
      const target = (r: Request) =>
        r.url.startsWith(ORIGIN) ? call(new URL(r.url).pathname, r) : api.fetch(r, apiEnv, createExecutionContext());
      const allowed = (await target(preflight)).headers.get("Access-Control-Allow-Headers")?.toLowerCase() ?? "";
      for (const h of request.headers.keys())
        if (h !== "content-type" && !allowed.includes(h)) throw new TypeError(`CORS refuses the header ${h}`);
      request.headers.set("Origin", page);
      return target(request);
    };
    const real = globalThis.fetch;
    globalThis.fetch = browserFetch as typeof fetch;
    try {
      const keys = await dpopKey();
      expect(keys.privateKey.extractable).toBe(false);
      const token = await implicitToken(ORIGIN, shop.client_id, keys);
      expect([claimsOf(token).grant_type, claimsOf(token).scope, typeof claimsOf(token).cnf?.jkt]).toStrictEqual([
        "implicit",
        "read",
        "string",
      ]);
      const res = await getFromApi("https://api.shop.example/products", token, keys);
      expect([res.status, await res.json()]).toStrictEqual([200, { products: [{ sku: "tee-01", name: "T-shirt" }] }]);
      // copied out of the page and replayed as a bearer token, it is refused
      const copied = await browserFetch("https://api.shop.example/products", { headers: { Authorization: `Bearer ${token}` } });
      expect(copied.status).toBe(401);
    } finally {
      globalThis.fetch = real;
    }
  });
});

describe("DPoP at the admin API", () => {
  const KEYS = `${ORIGIN}/v2/application-keys`;
  const admin = (url: string, authorization: string, init: { method?: string; dpop?: string; body?: unknown } = {}) =>
    call(url.slice(ORIGIN.length), {
      method: init.method ?? "GET",
      headers: {
        Authorization: authorization,
        ...(init.dpop ? { DPoP: init.dpop } : {}),
        ...(init.body ? { "Content-Type": "application/json" } : {}),
      },
      ...(init.body ? { body: JSON.stringify(init.body) } : {}),
    });

  it("a bound key-management token is refused as Bearer, without its proof or with another request's; with its proof it passes", async () => {
    const manager = await createApplicationKey("bound manager", { scope: "read write application_keys", dpop_bound_access_tokens: true });
    const k = await clientKey();
    const { access_token: token } = await boundToken(manager, k);
    const target = await createApplicationKey("rotated by a thief?");
    const rotate = `${KEYS}/${target.id}/secret`;
    const leak = { data: { type: "secret_rotation", attributes: { keep_old_seconds: 0 } } };

    // the thief: the token alone, as Bearer, or as DPoP with no proof or one made for another request
    const stolen = [
      await admin(rotate, `Bearer ${token}`, { method: "POST", body: leak }),
      await admin(rotate, `DPoP ${token}`, { method: "POST", body: leak }),
      await admin(rotate, `DPoP ${token}`, { method: "POST", body: leak, dpop: await proof(k, "GET", KEYS, { accessToken: token }) }),
      await admin(KEYS, `Bearer ${token}`),
    ];
    for (const [i, res] of stolen.entries()) {
      // The third had a proof, for another request: RFC 9449 §7.1's invalid_dpop_proof.
      const dpopError = i === 2 ? "invalid_dpop_proof" : "invalid_token";
      expect([res.status, res.headers.get("WWW-Authenticate"), await res.json()]).toStrictEqual([
        401,
        `Bearer realm="edge-token", error="invalid_token", DPoP algs="EdDSA Ed25519 ES256 PS256", error="${dpopError}"`,
        error(401, "Unauthorized", "invalid_token", "The access token is missing, invalid, expired or revoked."),
      ]);
    }
    // the target's secret still works: nothing was rotated
    expect((await post(TOKEN, cc(target))).status).toBe(200);

    // the owner, with a proof for this very request; its replay is refused
    const listProof = await proof(k, "GET", KEYS, { accessToken: token });
    const listed = await admin(KEYS, `DPoP ${token}`, { dpop: listProof });
    expect(listed.status).toBe(200);
    expect((await admin(KEYS, `DPoP ${token}`, { dpop: listProof })).status).toBe(401);
    const rotated = await admin(rotate, `DPoP ${token}`, {
      method: "POST",
      body: { data: { type: "secret_rotation", attributes: { keep_old_seconds: 60 } } },
      dpop: await proof(k, "POST", rotate, { accessToken: token }),
    });
    expect(rotated.status).toBe(200);
  });
});
