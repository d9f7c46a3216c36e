import { once } from "node:events";
import { readFile } from "node:fs/promises";
import type { AddressInfo } from "node:net";
import { exportJWK } from "jose";
import { convertV4MiniflareOptions, Miniflare } from "miniflare";
import * as oauth from "oauth4webapi";
import { afterAll, beforeAll, describe, expect, it, vi } from "vitest";
import { bundle, createApplicationKey, EDGE_TOKEN_OBJECTS, newSigningKeys, RUN_KEK } from "../bench/workers.ts";

/**
 * The Node recipe in docs/verifying-tokens.md (recipes/node-server.ts), run as written: edge-token in workerd
 * answers on a local port and is the issuer; the recipe fetches its JWKS over HTTP. oauth4webapi on
 * Node is the client: private_key_jwt and DPoP, at the token endpoint and at the recipe.
 */
let mf: Miniflare;
let issuer: string;
let credentials: { client_id: string; client_secret: string };
let adminCredentials: { client_id: string; client_secret: string };
let machine: { client_id: string };
let machineKey: CryptoKeyPair;
let api: string;
let close: () => Promise<void>;
/** The recipe's API, as the service knows it (RESOURCES) and the recipe describes itself. */
const RESOURCE = "https://orders.example";

beforeAll(async () => {
  const script = bundle("src/index.ts", "node-recipe-edge-token");
  mf = new Miniflare(
    convertV4MiniflareOptions({
      name: "edge-token",
      modules: true,
      scriptPath: script,
      compatibilityDate: "2026-11-01",
      kvNamespaces: ["CLIENTS", "REVOCATIONS"],
      durableObjects: EDGE_TOKEN_OBJECTS,
      // The issuer is the origin it answers on: only known once it listens.
      bindings: {
        SIGNING_KEYS: await newSigningKeys(),
        SIGNING_KEY_KEK: RUN_KEK,
        ISSUER: "",
        ALLOW_REQUEST_ORIGIN_ISSUER: "true",
        RESOURCES: RESOURCE,
      },
    } as never),
  );
  issuer = new URL(await mf.ready).origin;
  credentials = await createApplicationKey(mf, { name: "node", scope: "read write", grant_types: ["client_credentials"] });
  adminCredentials = await createApplicationKey(mf, {
    name: "admin",
    scope: "read write application_keys",
    grant_types: ["client_credentials"],
  });
  // A key that holds no secret: it proves itself with this key pair's signatures.
  machineKey = (await crypto.subtle.generateKey({ name: "Ed25519" }, true, ["sign", "verify"])) as CryptoKeyPair;
  const jwk = { ...(await exportJWK(machineKey.publicKey)), kid: "machine-1", alg: "EdDSA" };
  machine = await createApplicationKey(mf, {
    name: "machine",
    scope: "read write",
    grant_types: ["client_credentials"],
    token_endpoint_auth_method: "private_key_jwt",
    jwks: { keys: [jwk as never] },
  });

  process.env.ISSUER = issuer;
  process.env.RESOURCE = RESOURCE;
  const { server } = await import("./recipes/node-server.ts");
  server.listen(0, "127.0.0.1");
  await once(server, "listening");
  api = `http://127.0.0.1:${(server.address() as AddressInfo).port}`;
  close = () => new Promise((done) => server.close(() => done()));
}, 60_000);

afterAll(async () => {
  delete process.env.ISSUER;
  delete process.env.RESOURCE;
  await close?.();
  await mf?.dispose();
});

/** A token for the recipe's API; with `{}` for none, a token for the issuer's own audience. */
async function token(c = credentials, forApi: { resource?: string } = { resource: RESOURCE }): Promise<string> {
  const res = await fetch(`${issuer}/oauth/access_token`, {
    method: "POST",
    body: new URLSearchParams({ grant_type: "client_credentials", ...forApi, ...c }),
  });
  return ((await res.json()) as { access_token: string }).access_token;
}

const CHALLENGES =
  'Bearer realm="api", error="invalid_token", resource_metadata="https://orders.example/.well-known/oauth-protected-resource", ' +
  'DPoP algs="EdDSA Ed25519 ES256 PS256", error="invalid_token"';
/** RFC 6750 §3.1: a request with no token is told a token is needed, with no error code. */
const NO_TOKEN_CHALLENGES =
  'Bearer realm="api", resource_metadata="https://orders.example/.well-known/oauth-protected-resource", DPoP algs="EdDSA Ed25519 ES256 PS256"';

describe("recipe: a Node resource server with edge-token/verify", () => {
  it("accepts a token from the service and refuses a tampered, missing or key-management one", async () => {
    const good = await token();
    const ok = await fetch(`${api}/orders`, { headers: { Authorization: `Bearer ${good}` } });
    expect([ok.status, await ok.json()]).toStrictEqual([200, { client_id: credentials.client_id, scope: "read write" }]);

    const [h, p, s] = good.split(".");
    const claims = JSON.parse(Buffer.from(p!, "base64url").toString());
    const tampered = `${h}.${Buffer.from(JSON.stringify({ ...claims, scope: "read write application_keys" })).toString("base64url")}.${s}`;
    // a token that can manage keys is for the admin API alone: the recipe's audience check refuses it
    const admin = await token(adminCredentials, {});
    for (const header of [`Bearer ${tampered}`, "Bearer nope", "", `Bearer ${admin}`]) {
      const res = await fetch(`${api}/orders`, { headers: header ? { Authorization: header } : {} });
      expect([header.slice(0, 12), res.status, res.headers.get("WWW-Authenticate")]).toStrictEqual([
        header.slice(0, 12),
        401,
        header ? CHALLENGES : NO_TOKEN_CHALLENGES,
      ]);
    }
  });

  it("serves its RFC 9728 document, names it in the challenge, and refuses a token issued for no resource", async () => {
    const document = await fetch(`${api}/.well-known/oauth-protected-resource`);
    expect([document.status, document.headers.get("Cache-Control"), await document.json()]).toStrictEqual([
      200,
      "public, max-age=3600",
      {
        resource: RESOURCE,
        authorization_servers: [issuer],
        bearer_methods_supported: ["header"],
        dpop_signing_alg_values_supported: ["EdDSA", "Ed25519", "ES256", "PS256"],
        resource_name: "Orders",
      },
    ]);
    const forIssuer = await token(credentials, {});
    const refused = await fetch(`${api}/orders`, { headers: { Authorization: `Bearer ${forIssuer}` } });
    expect([refused.status, refused.headers.get("WWW-Authenticate")]).toStrictEqual([401, CHALLENGES]);
  });

  it("a private_key_jwt key gets a DPoP-bound token through oauth4webapi, and only its proofs make it pass", async () => {
    const as: oauth.AuthorizationServer = { issuer, token_endpoint: `${issuer}/oauth/access_token` };
    const client: oauth.Client = { client_id: machine.client_id };
    const insecure = { [oauth.allowInsecureRequests]: true }; // http://127.0.0.1 in this test
    const dpop = oauth.DPoP(client, await crypto.subtle.generateKey({ name: "ECDSA", namedCurve: "P-256" }, false, ["sign", "verify"]));
    const auth = oauth.PrivateKeyJwt({ key: machineKey.privateKey, kid: "machine-1" });
    const response = await oauth.clientCredentialsGrantRequest(as, client, auth, { resource: RESOURCE }, { ...insecure, DPoP: dpop });
    const { access_token, token_type } = await oauth.processClientCredentialsResponse(as, client, response);
    expect(token_type).toBe("dpop");

    const ordered = await oauth.protectedResourceRequest(access_token, "GET", new URL(`${api}/orders`), new Headers(), null, {
      ...insecure,
      DPoP: dpop,
    });
    expect([ordered.status, await ordered.json()]).toStrictEqual([200, { client_id: machine.client_id, scope: "read write" }]);
    // stolen and presented as Bearer, or with a proof made for another URL: refused
    const asBearer = await fetch(`${api}/orders`, { headers: { Authorization: `Bearer ${access_token}` } });
    expect([asBearer.status, asBearer.headers.get("WWW-Authenticate")]).toStrictEqual([401, CHALLENGES]);
    let proofForInvoices = "";
    await oauth.protectedResourceRequest(access_token, "GET", new URL(`${api}/invoices`), new Headers(), null, {
      ...insecure,
      DPoP: dpop,
      [oauth.customFetch]: async (_url, options) => {
        proofForInvoices = new Headers(options.headers).get("DPoP")!; // kept, not sent
        return new Response("{}", { headers: { "Content-Type": "application/json" } });
      },
    });
    const elsewhere = await fetch(`${api}/orders`, { headers: { Authorization: `DPoP ${access_token}`, DPoP: proofForInvoices } });
    expect(elsewhere.status).toBe(401);
  });

  it("refuses a token revoked at the service, from its status list alone: no storage of edge-token's is reachable from here", async () => {
    const revoked = await token();
    const ok = await fetch(`${api}/orders`, { headers: { Authorization: `Bearer ${revoked}` } });
    expect(ok.status).toBe(200);
    const res = await fetch(`${issuer}/oauth/revoke`, {
      method: "POST",
      body: new URLSearchParams({ token: revoked, ...credentials }),
    });
    expect(res.status).toBe(200);
    // the recipe holds the list it fetched for its ttl (REVOCATION_CACHE_SECONDS, 10 s by default)
    vi.useFakeTimers({ toFake: ["Date"] });
    try {
      vi.setSystemTime(Date.now() + 10_001);
      const refused = await fetch(`${api}/orders`, { headers: { Authorization: `Bearer ${revoked}` } });
      expect([refused.status, refused.headers.get("WWW-Authenticate")]).toStrictEqual([401, CHALLENGES]);
      const live = await fetch(`${api}/orders`, { headers: { Authorization: `Bearer ${await token()}` } });
      expect(live.status).toBe(200);
    } finally {
      vi.useRealTimers();
    }
  });

  it("is in docs/verifying-tokens.md exactly as tested", async () => {
    const [doc, source] = await Promise.all([
      readFile("docs/verifying-tokens.md", "utf8"),
      readFile("test/cli/recipes/node-server.ts", "utf8"),
    ]);
    expect(doc).toContain(source.trim());
  });
});
