import { createExecutionContext } from "cloudflare:test";
import { env } from "cloudflare:workers";
import { afterEach, describe, expect, it, vi } from "vitest";
import verifyingTokens from "../../docs/verifying-tokens.md";
import nodeSource from "../cli/recipes/node-server.ts?raw";
import hono from "../fixtures/recipes/hono.ts";
import honoSource from "../fixtures/recipes/hono.ts?raw";
import honoDpop from "../fixtures/recipes/hono-dpop.ts";
import honoDpopSource from "../fixtures/recipes/hono-dpop.ts?raw";
import itty from "../fixtures/recipes/itty.ts";
import ittySource from "../fixtures/recipes/itty.ts?raw";
import rpc from "../fixtures/recipes/rpc.ts";
import rpcSource from "../fixtures/recipes/rpc.ts?raw";
import storefrontSource from "../fixtures/recipes/storefront.js?raw";
import storefrontApiSource from "../fixtures/recipes/storefront-api.ts?raw";
import { call, createAdmin, createApplicationKey, ORIGIN, post, tamper, tokenFor } from "../support/helpers.ts";
import { clientKey, proof } from "../support/possession.ts";

/**
 * The consumer recipes docs/verifying-tokens.md shows, run as written against tokens from the
 * service. Each recipe file is also in the page verbatim, so the two cannot drift apart.
 */
afterEach(() => vi.restoreAllMocks());

/** jwks_uri fetches, as another Worker makes them, answered by edge-token itself. */
function serveJwks() {
  const real = globalThis.fetch;
  vi.spyOn(globalThis, "fetch").mockImplementation((input: RequestInfo | URL, init?: RequestInit) => {
    const url = String(input instanceof Request ? input.url : input);
    return url.startsWith(`${ORIGIN}/`) ? call(url.slice(ORIGIN.length), init) : real(input, init);
  });
}

const bearer = (token: string) => ({ headers: { Authorization: `Bearer ${token}` } });

/** The API the recipes that describe themselves (RFC 9728) stand for: one of the service's RESOURCES. */
const RESOURCE = "https://orders.example";
const forApi = { resource: RESOURCE };
const METADATA_URL = `${RESOURCE}/.well-known/oauth-protected-resource`;
const CHALLENGE = `Bearer realm="api", error="invalid_token", resource_metadata="${METADATA_URL}", DPoP algs="EdDSA Ed25519 ES256 PS256", error="invalid_token"`;
/** RFC 6750 §3.1: no token, no error code; the client learns where to get one. */
const NO_TOKEN_CHALLENGE = `Bearer realm="api", resource_metadata="${METADATA_URL}", DPoP algs="EdDSA Ed25519 ES256 PS256"`;

describe("recipe: Hono with hono/jwk", () => {
  const honoEnv = { ISSUER: ORIGIN };
  const get = (token: string) =>
    hono.fetch(new Request("https://api.example/api/products", bearer(token)), honoEnv, createExecutionContext());

  it("answers 200 for a token from the service and 401 for a tampered one", async () => {
    serveJwks();
    const client = await createApplicationKey();
    const token = await tokenFor(client);
    const ok = await get(token);
    expect([ok.status, await ok.json()]).toStrictEqual([200, { client_id: client.client_id }]);
    const tampered = await get(tamper(token, { client_id: "someone-else" }));
    expect(tampered.status).toBe(401);
    expect(tampered.headers.get("WWW-Authenticate")).toContain('error="invalid_token"');
  });

  it("the pitfall: without verification.typ, hono/jwk refuses every RFC 9068 token", async () => {
    serveJwks();
    const { Hono } = await import("hono");
    const { jwk } = await import("hono/jwk");
    const naive = new Hono();
    let cause: unknown;
    naive.use("/api/*", jwk({ jwks_uri: `${ORIGIN}/.well-known/jwks.json`, alg: ["EdDSA"] }));
    naive.get("/api/products", (c) => c.text("ok"));
    naive.onError((error) => {
      cause = (error as { cause?: unknown }).cause;
      return new Response(null, { status: 401 });
    });
    const res = await naive.fetch(new Request("https://api.example/api/products", bearer(await tokenFor(await createApplicationKey()))));
    expect(res.status).toBe(401);
    expect(String(cause)).toContain("jwt header is invalid");
  });
});

describe("what hono/jwk cannot do: DPoP", () => {
  it("it takes a DPoP-bound token presented as Bearer, by whoever holds it; the edge-token/verify middleware does not", async () => {
    serveJwks();
    const c = await createApplicationKey();
    const k = await clientKey();
    const tokenUrl = `${ORIGIN}/oauth/access_token`;
    // hono/jwk takes tokens for the issuer's audience, the withToken recipe those for its API
    const boundToken = async (extra: Record<string, string>) => {
      const params = { grant_type: "client_credentials", client_id: c.client_id, client_secret: c.client_secret, ...extra };
      const res = await post("/oauth/access_token", params, { DPoP: await proof(k, "POST", tokenUrl) });
      return ((await res.json()) as { access_token: string }).access_token;
    };
    const stolen = (token: string) => ({ headers: { Authorization: `Bearer ${token}` } });
    // hono/jwk checks the signature and claims, never cnf: the thief's request passes
    const forHono = await boundToken({});
    expect(
      (await hono.fetch(new Request("https://api.example/api/products", stolen(forHono)), { ISSUER: ORIGIN }, createExecutionContext()))
        .status,
    ).toBe(200);
    const bound = await boundToken(forApi);
    const honoEnv = { ISSUER: ORIGIN, RESOURCE, EDGE_TOKEN: env.EDGE_TOKEN };
    const url = "https://api.example/api/products";
    expect((await honoDpop.fetch(new Request(url, stolen(bound)), honoEnv, createExecutionContext())).status).toBe(401);
    const owner = { headers: { Authorization: `DPoP ${bound}`, DPoP: await proof(k, "GET", url, { accessToken: bound }) } };
    expect((await honoDpop.fetch(new Request(url, owner), honoEnv, createExecutionContext())).status).toBe(200);
  });

  it("withToken in front of Hono refuses a revoked token (its status list); hono/jwk alone cannot tell", async () => {
    serveJwks();
    const c = await createApplicationKey();
    const [token, forHono] = [await tokenFor(c, "client_credentials", forApi), await tokenFor(c)];
    const url = "https://api.example/api/products";
    for (const t of [token, forHono]) {
      expect((await post("/oauth/revoke", { token: t, client_id: c.client_id, client_secret: c.client_secret })).status).toBe(200);
    }
    const honoEnv = { ISSUER: ORIGIN, RESOURCE, EDGE_TOKEN: env.EDGE_TOKEN };
    expect((await honoDpop.fetch(new Request(url, bearer(token)), honoEnv, createExecutionContext())).status).toBe(401);
    expect((await hono.fetch(new Request(url, bearer(forHono)), { ISSUER: ORIGIN }, createExecutionContext())).status).toBe(200);
  });
});

describe("the recipes that describe their API (RFC 9728): Hono with withToken, itty-router, RPC", () => {
  const ctx = () => createExecutionContext();
  const recipes = {
    hono: (r: Request) => honoDpop.fetch(r, { ISSUER: ORIGIN, RESOURCE, EDGE_TOKEN: env.EDGE_TOKEN }, ctx()),
    itty: (r: Request) => itty.fetch(r, { ISSUER: ORIGIN, RESOURCE, EDGE_TOKEN: env.EDGE_TOKEN }, ctx()),
    rpc: (r: Request) => rpc.fetch(r, { ISSUER: ORIGIN, RESOURCE, AUTH: env.AUTH }),
  };
  const path = { hono: "/api/products", itty: "/products", rpc: "/orders" };
  const names = { hono: "Products", itty: "Shop", rpc: "Orders" };

  for (const [name, fetchFrom] of Object.entries(recipes) as [keyof typeof recipes, (r: Request) => Promise<Response>][]) {
    it(`${name}: serves the document, names it in a 401, takes a token for its API and refuses one for the issuer's audience`, async () => {
      const document = await fetchFrom(new Request("https://api.example/.well-known/oauth-protected-resource"));
      const metadata = (await document.json()) as Record<string, unknown>;
      expect([document.status, document.headers.get("Access-Control-Allow-Origin")]).toStrictEqual([200, "*"]);
      expect(metadata).toMatchObject({ resource: RESOURCE, authorization_servers: [ORIGIN], resource_name: names[name] });

      const missing = await fetchFrom(new Request(`https://api.example${path[name]}`));
      expect([missing.status, missing.headers.get("WWW-Authenticate")]).toStrictEqual([401, NO_TOKEN_CHALLENGE]);

      const c = await createApplicationKey();
      const ok = await fetchFrom(new Request(`https://api.example${path[name]}`, bearer(await tokenFor(c, "client_credentials", forApi))));
      expect(ok.status).toBe(200);
      const forIssuer = await fetchFrom(new Request(`https://api.example${path[name]}`, bearer(await tokenFor(c))));
      expect([forIssuer.status, forIssuer.headers.get("WWW-Authenticate")]).toStrictEqual([401, CHALLENGE]);
    });
  }

  it("rpc: refuses a revoked token over the binding", async () => {
    const c = await createApplicationKey();
    const token = await tokenFor(c, "client_credentials", forApi);
    expect((await recipes.rpc(new Request("https://api.example/orders", bearer(token)))).status).toBe(200);
    expect((await post("/oauth/revoke", { token, client_id: c.client_id, client_secret: c.client_secret })).status).toBe(200);
    const revoked = await recipes.rpc(new Request("https://api.example/orders", bearer(token)));
    expect(revoked.status).toBe(401);
  });
});

describe("recipe: itty-router with the importable verifier, a scope per route", () => {
  const ittyEnv = { ISSUER: ORIGIN, RESOURCE, EDGE_TOKEN: env.EDGE_TOKEN };
  const send = (method: string, path: string, token?: string) =>
    itty.fetch(new Request(`https://api.example${path}`, { method, ...(token ? bearer(token) : {}) }), ittyEnv, createExecutionContext());

  it("lets each route ask for what it needs", async () => {
    const backend = await createApplicationKey();
    const token = await tokenFor(backend, "client_credentials", forApi); // read write
    const browser = await tokenFor(backend, "implicit", forApi); // read
    const admin = await tokenFor(await createAdmin()); // a token that manages keys: for the admin API alone

    const products = await send("GET", "/products", browser);
    expect([products.status, await products.json()]).toStrictEqual([200, { products: [], client_id: backend.client_id }]);
    expect((await send("POST", "/orders", token)).status).toBe(200);

    const readOnly = await send("POST", "/orders", browser);
    expect([readOnly.status, readOnly.headers.get("WWW-Authenticate")]).toStrictEqual([
      403,
      `Bearer realm="api", error="insufficient_scope", scope="write", resource_metadata="${METADATA_URL}"`,
    ]);
    const reports = await send("GET", "/reports", browser);
    expect([reports.status, reports.headers.get("WWW-Authenticate")]).toStrictEqual([
      403,
      `Bearer realm="api", error="insufficient_scope", scope="read write", resource_metadata="${METADATA_URL}"`,
    ]);
    expect((await send("GET", "/reports", token)).status).toBe(200);
    expect((await send("GET", "/products", admin)).status).toBe(401);

    for (const bad of [undefined, "nope", tamper(token, { scope: "read write application_keys" })]) {
      const res = await send("GET", "/products", bad);
      expect([bad?.slice(0, 10), res.status]).toStrictEqual([bad?.slice(0, 10), 401]);
    }
  });

  it("refuses a revoked token, from its status list", async () => {
    const backend = await createApplicationKey();
    const token = await tokenFor(backend, "client_credentials", forApi);
    expect((await send("GET", "/products", token)).status).toBe(200);
    expect((await post("/oauth/revoke", { token, client_id: backend.client_id, client_secret: backend.client_secret })).status).toBe(200);
    // the recipe's verifier holds the list for REVOCATION_CACHE_SECONDS (10 s by default)
    vi.useFakeTimers({ toFake: ["Date"] });
    try {
      vi.setSystemTime(Date.now() + 10_001);
      expect((await send("GET", "/products", token)).status).toBe(401);
    } finally {
      vi.useRealTimers();
    }
  });
});

describe("docs/verifying-tokens.md", () => {
  it("shows each recipe exactly as tested", () => {
    for (const source of [honoSource, honoDpopSource, ittySource, rpcSource, nodeSource, storefrontSource, storefrontApiSource]) {
      expect(verifyingTokens).toContain(source.trim());
    }
  });
});
