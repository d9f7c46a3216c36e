import { env } from "cloudflare:workers";
import * as oauth from "oauth4webapi";
import { describe, expect, it } from "vitest";
import { call, claimsOf, createAdmin, createApplicationKey, error, ORIGIN, post, tokenFor } from "../support/helpers.ts";
import { jsonIn } from "../support/kv-values.ts";
import { assertion, type ClientKey, clientKey, hmacJwt, unsignedJwt } from "../support/possession.ts";

/**
 * Keys that hold no secret: private_key_jwt (RFC 7523 §2.2, §3) at the token, revocation and
 * introspection endpoints, driven by oauth4webapi where it goes right and by hand-made
 * assertions for every way it can go wrong.
 */
const TOKEN = "/oauth/access_token";
const KEYS = "/v2/application-keys";
const TYPE = "urn:ietf:params:oauth:client-assertion-type:jwt-bearer";
const INVALID_CLIENT = error(401, "Unauthorized", "invalid_client", "Client authentication failed.");

async function keyWith(k: ClientKey, attributes: Record<string, unknown> = {}) {
  return createApplicationKey("machine", {
    token_endpoint_auth_method: "private_key_jwt",
    jwks: { keys: [k.jwk as never] },
    ...attributes,
  });
}

const withAssertion = (clientAssertion: string, extra: Record<string, string> = {}) =>
  post(TOKEN, { grant_type: "client_credentials", client_assertion_type: TYPE, client_assertion: clientAssertion, ...extra });

/** oauth4webapi's view of this service, with its requests sent to the Worker in this isolate. */
const as: oauth.AuthorizationServer = { issuer: ORIGIN, token_endpoint: `${ORIGIN}${TOKEN}` };
const viaWorker = { [oauth.customFetch]: (url: string, init: RequestInit) => call(new URL(url).pathname, init) } as const;

describe("keys that hold no secret", () => {
  it("a private_key_jwt key is created with its public keys and no secret; get and list show them", async () => {
    const admin = await tokenFor(await createAdmin());
    const k = await clientKey("ES256");
    const res = await call(KEYS, {
      method: "POST",
      headers: { Authorization: `Bearer ${admin}`, "Content-Type": "application/json" },
      body: JSON.stringify({
        data: { type: "application_key", name: "job", token_endpoint_auth_method: "private_key_jwt", jwks: { keys: [k.jwk] } },
      }),
    });
    expect(res.status).toBe(201);
    const { data } = (await res.json()) as { data: Record<string, unknown> };
    expect(data).not.toHaveProperty("client_secret");
    expect(data).toMatchObject({
      token_endpoint_auth_method: "private_key_jwt",
      jwks: { keys: [{ kid: k.jwk.kid, alg: "ES256", kty: "EC" }] },
      dpop_bound_access_tokens: false,
    });
    const got = (await (await call(`${KEYS}/${data.id}`, { headers: { Authorization: `Bearer ${admin}` } })).json()) as { data: unknown };
    expect(got.data).toStrictEqual(data);
    expect(await jsonIn(env.CLIENTS, `client:${data.client_id}`)).not.toHaveProperty("secret_hash");
  });

  const bad: [string, unknown, string][] = [
    [
      "a private key",
      { keys: [{ kty: "OKP", crv: "Ed25519", x: "a".repeat(43), d: "b".repeat(43), kid: "1" }] },
      'key "1": private key members are not accepted',
    ],
    ["a symmetric key", { keys: [{ kty: "oct", k: "c2VjcmV0", kid: "1" }] }, 'key "1": symmetric keys are not accepted'],
    [
      "an RSA key not named PS256",
      { keys: [{ kty: "RSA", n: "x".repeat(342), e: "AQAB", alg: "RS256", kid: "1" }] },
      'key "1": a key must be Ed25519 (EdDSA), P-256 (ES256) or RSA of 2048 to 4096 bits with alg PS256',
    ],
    [
      "a P-384 key",
      { keys: [{ kty: "EC", crv: "P-384", x: "a", y: "b", kid: "1" }] },
      'key "1": a key must be Ed25519 (EdDSA), P-256 (ES256) or RSA of 2048 to 4096 bits with alg PS256',
    ],
    [
      "a key without kid",
      { keys: [{ kty: "OKP", crv: "Ed25519", x: "11qYAYKxCrfVS_7TyWQHOg7hcvPapiMlrwIaaPcHURo" }] },
      'each key needs a "kid" of 1 to 128 characters',
    ],
    ["no keys", { keys: [] }, 'it must be {"keys":[…]} with 1 to 5 public keys'],
    ["six keys", { keys: Array.from({ length: 6 }, (_, i) => ({ kid: String(i) })) }, 'it must be {"keys":[…]} with 1 to 5 public keys'],
    ["a key that cannot be imported", { keys: [{ kty: "OKP", crv: "Ed25519", x: "AAAA", kid: "1" }] }, "a key could not be imported"],
  ];
  for (const [name, jwks, reason] of bad) {
    it(`400 naming data.jwks for ${name}`, async () => {
      const admin = await tokenFor(await createAdmin());
      const res = await call(KEYS, {
        method: "POST",
        headers: { Authorization: `Bearer ${admin}`, "Content-Type": "application/json" },
        body: JSON.stringify({ data: { type: "application_key", name: "x", token_endpoint_auth_method: "private_key_jwt", jwks } }),
      });
      expect([res.status, await res.json()]).toStrictEqual([
        400,
        error(400, "Bad Request", "invalid_request", `The field "data.jwks" is not a usable key set: ${reason}.`),
      ]);
    });
  }

  it("400 for a private_key_jwt key without keys, an unknown method, a DPoP flag that is not a boolean", async () => {
    const admin = await tokenFor(await createAdmin());
    const create = (data: Record<string, unknown>) =>
      call(KEYS, {
        method: "POST",
        headers: { Authorization: `Bearer ${admin}`, "Content-Type": "application/json" },
        body: JSON.stringify({ data: { type: "application_key", name: "x", ...data } }),
      });
    expect(await (await create({ token_endpoint_auth_method: "private_key_jwt" })).json()).toStrictEqual(
      error(
        400,
        "Bad Request",
        "invalid_request",
        'A private_key_jwt key needs "data.jwks": the public keys it signs its assertions with.',
      ),
    );
    expect(await (await create({ token_endpoint_auth_method: "client_secret_jwt" })).json()).toStrictEqual(
      error(
        400,
        "Bad Request",
        "invalid_request",
        'The field "data.token_endpoint_auth_method" must be "client_secret_basic" or "private_key_jwt".',
      ),
    );
    expect(await (await create({ dpop_bound_access_tokens: "yes" })).json()).toStrictEqual(
      error(400, "Bad Request", "invalid_request", 'The field "data.dpop_bound_access_tokens" must be true or false.'),
    );
  });

  it("switching a key to private_key_jwt ends its secret and revokes its tokens; back again issues a new secret, once", async () => {
    const admin = await tokenFor(await createAdmin());
    const key = await createApplicationKey("switching");
    const before = await tokenFor(key);
    const k = await clientKey();
    const put = (data: Record<string, unknown>) =>
      call(`${KEYS}/${key.id}`, {
        method: "PUT",
        headers: { Authorization: `Bearer ${admin}`, "Content-Type": "application/json" },
        body: JSON.stringify({ data: { type: "application_key", ...data } }),
      });
    const switched = (await (await put({ token_endpoint_auth_method: "private_key_jwt", jwks: { keys: [k.jwk] } })).json()) as {
      data: Record<string, unknown>;
    };
    expect(switched.data).not.toHaveProperty("client_secret");
    expect(
      (await post(TOKEN, { grant_type: "client_credentials", client_id: key.client_id, client_secret: key.client_secret })).status,
    ).toBe(401);
    const introspected = await post(
      "/oauth/introspect",
      { token: before },
      { Authorization: `Basic ${btoa(`${(await createApplicationKey()).client_id}:x`)}` },
    );
    expect(introspected.status).toBe(401); // (a wrong secret: the point is the next line)
    const rpc = await import("../../src/index.ts").then(
      async (m) => new m.TokenVerifier((await import("cloudflare:test")).createExecutionContext(), env),
    );
    expect(await rpc.verify(before, { method: "GET" })).toStrictEqual({ valid: false, status: 401, error: "revoked" });
    const assertion_ = await assertion(k, key.client_id, ORIGIN);
    const asserted = await post(TOKEN, { grant_type: "client_credentials", client_assertion_type: TYPE, client_assertion: assertion_ });
    const byAssertion = ((await asserted.json()) as { access_token: string }).access_token;
    expect(await rpc.verify(byAssertion, { method: "GET" })).toMatchObject({ valid: true });

    const back = (await (await put({ token_endpoint_auth_method: "client_secret_basic" })).json()) as { data: Record<string, string> };
    expect(back.data.client_secret).toMatch(/^[A-Za-z0-9_-]{43}$/);
    expect(back.data.token_endpoint_auth_method).toBe("client_secret_basic");
    // Back to a secret, the assertion keys go with the method, and what they got is revoked as well.
    expect(back.data).not.toHaveProperty("jwks");
    expect(await rpc.verify(byAssertion, { method: "GET" })).toStrictEqual({ valid: false, status: 401, error: "revoked" });
    const again = (await (await call(`${KEYS}/${key.id}`, { headers: { Authorization: `Bearer ${admin}` } })).json()) as {
      data: Record<string, unknown>;
    };
    expect(again.data).not.toHaveProperty("client_secret");
  });
});

describe("private_key_jwt at the token endpoint (RFC 7523)", () => {
  for (const alg of ["EdDSA", "ES256", "PS256"] as const) {
    it(`oauth4webapi's PrivateKeyJwt with an ${alg} key gets a token; the key has no secret to try`, async () => {
      const k = await clientKey(alg);
      const key = await keyWith(k);
      const client: oauth.Client = { client_id: key.client_id };
      const response = await oauth.clientCredentialsGrantRequest(
        as,
        client,
        oauth.PrivateKeyJwt({ key: k.privateKey, kid: k.jwk.kid }),
        { scope: "read" },
        viaWorker,
      );
      const body = await oauth.processClientCredentialsResponse(as, client, response);
      expect([body.token_type, claimsOf(body.access_token).client_id, claimsOf(body.access_token).scope]).toStrictEqual([
        "bearer",
        key.client_id,
        "read",
      ]);
    });
  }

  it("takes the issuer or the token endpoint as aud, a string or in an array", async () => {
    const k = await clientKey();
    const key = await keyWith(k);
    for (const aud of [ORIGIN, `${ORIGIN}${TOKEN}`, ["https://elsewhere.example", ORIGIN]]) {
      const res = await withAssertion(await assertion(k, key.client_id, ORIGIN, { aud }));
      expect([aud, res.status]).toStrictEqual([aud, 200]);
    }
  });

  it("is accepted at /oauth/revoke and /oauth/introspect too", async () => {
    const k = await clientKey();
    const key = await keyWith(k);
    const token = ((await (await withAssertion(await assertion(k, key.client_id, ORIGIN))).json()) as { access_token: string })
      .access_token;
    const form = async () => ({ client_assertion_type: TYPE, client_assertion: await assertion(k, key.client_id, ORIGIN) });
    const introspected = await post("/oauth/introspect", { token, ...(await form()) });
    expect(await introspected.json()).toMatchObject({ active: true, client_id: key.client_id });
    expect((await post("/oauth/revoke", { token, ...(await form()) })).status).toBe(200);
    expect(await (await post("/oauth/introspect", { token, ...(await form()) })).json()).toStrictEqual({ active: false });
  });

  // Each refused with the same 401 invalid_client: which check failed is not said.
  const refused: [string, (k: ClientKey, id: string, other: ClientKey) => Promise<string | [string, Record<string, string>]>][] = [
    ["iss is not the client", (k, id) => assertion(k, id, ORIGIN, { iss: "someone-else" })],
    ["sub is not the client", async (k, id) => [await assertion(k, id, ORIGIN, { sub: "0".repeat(40) }), { client_id: id }]],
    ["aud is another service", (k, id) => assertion(k, id, "https://elsewhere.example")],
    ["aud is the token endpoint of another issuer", (k, id) => assertion(k, id, "https://elsewhere.example/oauth/access_token")],
    ["no exp", (k, id) => assertion(k, id, ORIGIN, { exp: undefined })],
    ["exp more than five minutes ahead", (k, id) => assertion(k, id, ORIGIN, { exp: Math.floor(Date.now() / 1000) + 600 })],
    ["it has expired", (k, id) => assertion(k, id, ORIGIN, { exp: Math.floor(Date.now() / 1000) - 120 })],
    ["no jti", (k, id) => assertion(k, id, ORIGIN, { jti: undefined })],
    ["nbf in the future", (k, id) => assertion(k, id, ORIGIN, { nbf: Math.floor(Date.now() / 1000) + 120 })],
    ["iat in the future", (k, id) => assertion(k, id, ORIGIN, { iat: Math.floor(Date.now() / 1000) + 120 })],
    [
      "alg none",
      async (k, id) =>
        unsignedJwt({ alg: "none", kid: k.jwk.kid }, { iss: id, sub: id, aud: ORIGIN, exp: Math.floor(Date.now() / 1000) + 60, jti: "x" }),
    ],
    [
      "an HMAC",
      async (k, id) => hmacJwt({ kid: k.jwk.kid }, { iss: id, sub: id, aud: ORIGIN, exp: Math.floor(Date.now() / 1000) + 60, jti: "y" }),
    ],
    [
      "an algorithm the key does not name",
      async (k, id, other) => assertion({ ...other, jwk: { ...other.jwk, kid: k.jwk.kid } }, id, ORIGIN),
    ],
    ["a key the client did not register", (_k, id, other) => assertion(other, id, ORIGIN)],
    ["a client_id beside it that is another client", async (k, id) => [await assertion(k, id, ORIGIN), { client_id: "1".repeat(40) }]],
  ];
  for (const [name, make] of refused) {
    it(`401 invalid_client when ${name}`, async () => {
      const k = await clientKey("EdDSA");
      const key = await keyWith(k);
      const made = await make(k, key.client_id, await clientKey("ES256"));
      const [value, extra] = typeof made === "string" ? [made, {}] : made;
      const res = await withAssertion(value, extra);
      expect([res.status, await res.json()]).toStrictEqual([401, INVALID_CLIENT]);
    });
  }

  it("a jti is used once: the same assertion again is refused, and so is one for a key that holds a secret", async () => {
    const k = await clientKey();
    const key = await keyWith(k);
    const once = await assertion(k, key.client_id, ORIGIN);
    expect((await withAssertion(once)).status).toBe(200);
    expect([(await withAssertion(once)).status]).toStrictEqual([401]);
    // a key with a secret proves itself with its secret, not with assertions
    const secretKey = await createApplicationKey("secret", { jwks: { keys: [k.jwk as never] } });
    expect((await withAssertion(await assertion(k, secretKey.client_id, ORIGIN))).status).toBe(401);
  });

  it("the same assertion sent twice at once, to two edge-token Workers, succeeds once", async () => {
    const k = await clientKey();
    const key = await keyWith(k);
    const once = await assertion(k, key.client_id, ORIGIN);
    const body = new URLSearchParams({ grant_type: "client_credentials", client_assertion_type: TYPE, client_assertion: once }).toString();
    const headers = { "Content-Type": "application/x-www-form-urlencoded" };
    const [a, b] = await Promise.all([
      call(TOKEN, { method: "POST", headers, body }),
      env.EDGE_TOKEN.fetch(`${ORIGIN}${TOKEN}`, { method: "POST", headers, body }),
    ]);
    expect([a.status, b.status].sort()).toStrictEqual([200, 401]);
  });

  it("400 for another client_assertion_type, or an assertion beside a secret", async () => {
    const k = await clientKey();
    const key = await keyWith(k);
    const a = await assertion(k, key.client_id, ORIGIN);
    const wrongType = await post(TOKEN, { grant_type: "client_credentials", client_assertion_type: "urn:x", client_assertion: a });
    expect(await wrongType.json()).toStrictEqual(
      error(400, "Bad Request", "invalid_request", `The parameter "client_assertion_type" must be ${TYPE}.`),
    );
    const both = await withAssertion(a, { client_secret: "x" });
    expect(await both.json()).toStrictEqual(
      error(400, "Bad Request", "invalid_request", "Send one kind of client credentials: a client assertion, or a secret, not both."),
    );
  });

  it("the metadata says so", async () => {
    const m = (await (await call("/.well-known/oauth-authorization-server")).json()) as Record<string, unknown>;
    expect(m.token_endpoint_auth_methods_supported).toContain("private_key_jwt");
    expect(m.token_endpoint_auth_signing_alg_values_supported).toStrictEqual(["EdDSA", "Ed25519", "ES256", "PS256"]);
    expect(m.dpop_signing_alg_values_supported).toStrictEqual(["EdDSA", "Ed25519", "ES256", "PS256"]);
  });
});
