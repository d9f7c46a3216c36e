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
    const res = await post(
      "/oauth/access_token",
      { grant_type: "client_credentials", client_id: c.client_id, client_secret: c.client_secret },
      { DPoP: await proof(k, "POST", tokenUrl) },
    );
    const bound = ((await res.json()) as { access_token: string }).access_token;
    const stolen = { headers: { Authorization: `Bearer ${bound}` } };
    // hono/jwk checks the signature and claims, never cnf: the thief's request passes
    expect(
      (await hono.fetch(new Request("https://api.example/api/products", stolen), { ISSUER: ORIGIN }, createExecutionContext())).status,
    ).toBe(200);
    const honoEnv = { ISSUER: ORIGIN, EDGE_TOKEN: env.EDGE_TOKEN };
    const url = "https://api.example/api/products";
    expect((await honoDpop.fetch(new Request(url, stolen), honoEnv, createExecutionContext())).status).toBe(401);
    const owner = { headers: { Authorization: `DPoP ${bound}`, DPoP: await proof(k, "GET", url, { accessToken: bound }) } };
    expect((await honoDpop.fetch(new Request(url, owner), honoEnv, createExecutionContext())).status).toBe(200);
  });

  it("withToken in front of Hono refuses a revoked token (its status list); hono/jwk alone cannot tell", async () => {
    serveJwks();
    const c = await createApplicationKey();
    const token = await tokenFor(c);
    const url = "https://api.example/api/products";
    expect((await post("/oauth/revoke", { token, client_id: c.client_id, client_secret: c.client_secret })).status).toBe(200);
    const honoEnv = { ISSUER: ORIGIN, EDGE_TOKEN: env.EDGE_TOKEN };
    expect((await honoDpop.fetch(new Request(url, bearer(token)), honoEnv, createExecutionContext())).status).toBe(401);
    expect((await hono.fetch(new Request(url, bearer(token)), { ISSUER: ORIGIN }, createExecutionContext())).status).toBe(200);
  });
});

describe("recipe: itty-router with the importable verifier, a scope per route", () => {
  const ittyEnv = { ISSUER: ORIGIN, EDGE_TOKEN: env.EDGE_TOKEN };
  const send = (method: string, path: string, token?: string) =>
    itty.fetch(new Request(`https://api.example${path}`, { method, ...(token ? bearer(token) : {}) }), ittyEnv, createExecutionContext());

  it("lets each route ask for what it needs", async () => {
    const backend = await createApplicationKey();
    const token = await tokenFor(backend); // read write
    const browser = await tokenFor(backend, "implicit"); // read
    const admin = await tokenFor(await createAdmin()); // a token that manages keys: for the admin API alone

    const products = await send("GET", "/products", browser);
    expect([products.status, await products.json()]).toStrictEqual([200, { products: [], client_id: backend.client_id }]);
    expect((await send("POST", "/orders", token)).status).toBe(200);

    const readOnly = await send("POST", "/orders", browser);
    expect([readOnly.status, readOnly.headers.get("WWW-Authenticate")]).toStrictEqual([
      403,
      'Bearer realm="api", error="insufficient_scope", scope="write"',
    ]);
    const reports = await send("GET", "/reports", browser);
    expect([reports.status, reports.headers.get("WWW-Authenticate")]).toStrictEqual([
      403,
      'Bearer realm="api", error="insufficient_scope", scope="read write"',
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
    const token = await tokenFor(backend);
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
    for (const source of [honoSource, honoDpopSource, ittySource, nodeSource, storefrontSource, storefrontApiSource]) {
      expect(verifyingTokens).toContain(source.trim());
    }
  });
});
