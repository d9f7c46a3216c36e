import { createExecutionContext } from "cloudflare:test";
import { env } from "cloudflare:workers";
import { afterEach, describe, expect, it, vi } from "vitest";
import { TokenVerifier } from "../../src/index.ts";
import { createVerifier, type VerifierOptions, withToken } from "../../src/verify.ts";
import hono from "../fixtures/recipes/hono.ts";
import itty from "../fixtures/recipes/itty.ts";
import { call, claimsOf, createApplicationKey, error, ORIGIN, post } from "../support/helpers.ts";

/**
 * Key management you can hand out: what a caller may take away, key management as an audience
 * of its own, and verifiers that refuse to be misconfigured. Each case was written as the
 * attack on the code before the fix.
 */
afterEach(() => vi.restoreAllMocks());

const KEYS = "/v2/application-keys";
const ADMIN_AUDIENCE = `${ORIGIN}/v2/application-keys`;
type Creds = { id: string; client_id: string; client_secret: string };

async function token(c: Creds, extra: Record<string, string> = {}) {
  const res = await post("/oauth/access_token", {
    grant_type: "client_credentials",
    client_id: c.client_id,
    client_secret: c.client_secret,
    ...extra,
  });
  const body = (await res.json()) as Record<string, any>;
  if (res.status !== 200) throw new Error(`${res.status} ${JSON.stringify(body)}`);
  return body.access_token as string;
}

function api(path: string, bearer: string, init: { method?: string; body?: unknown } = {}) {
  return call(path, {
    method: init.method ?? "GET",
    headers: { Authorization: `Bearer ${bearer}`, ...(init.body === undefined ? {} : { "Content-Type": "application/json" }) },
    ...(init.body === undefined ? {} : { body: JSON.stringify(init.body) }),
  });
}
const key = (attrs: Record<string, unknown>) => ({ data: { type: "application_key", ...attrs } });

/** What `npm run deploy` creates, and the docs' "Ops" manager. */
const admin = () => createApplicationKey("Admin", { scope: "read write application_keys", grant_types: ["client_credentials"] });
const ops = () => createApplicationKey("Ops", { scope: "read application_keys", grant_types: ["client_credentials"] });

describe("what a caller may take away", () => {
  it("a read-only manager cannot narrow or delete the Admin key: 403 naming what it lacks, the key untouched", async () => {
    const target = await admin();
    const adminToken = await token(target);
    const weak = await token(await ops());

    const narrow = await api(`${KEYS}/${target.id}`, weak, { method: "PUT", body: key({ scope: "read" }) });
    expect([narrow.status, narrow.headers.get("WWW-Authenticate"), await narrow.json()]).toStrictEqual([
      403,
      'Bearer realm="edge-token", error="insufficient_scope", scope="read write application_keys"',
      error(
        403,
        "Forbidden",
        "insufficient_scope",
        "Changing or deleting this key needs a token that holds all of its current scope; this one lacks: write.",
      ),
    ]);
    const del = await api(`${KEYS}/${target.id}`, weak, { method: "DELETE" });
    expect([del.status, await del.json()]).toStrictEqual([
      403,
      error(
        403,
        "Forbidden",
        "insufficient_scope",
        "Changing or deleting this key needs a token that holds all of its current scope; this one lacks: write.",
      ),
    ]);
    const grants = await api(`${KEYS}/${target.id}`, weak, { method: "PUT", body: key({ grant_types: ["implicit"] }) });
    expect(grants.status).toBe(403);

    // Nothing changed: the Admin key still has everything, and its token still manages keys.
    const got = await api(`${KEYS}/${target.id}`, adminToken);
    expect(((await got.json()) as any).data).toMatchObject({ scope: "read write application_keys", grant_types: ["client_credentials"] });
    // Renaming alone grants and removes nothing: any manager may do it.
    expect((await api(`${KEYS}/${target.id}`, weak, { method: "PUT", body: key({ name: "Admin (renamed)" }) })).status).toBe(200);
  });

  it("the stronger manager may narrow and delete the weaker one", async () => {
    const weak = await ops();
    const strong = await token(await admin());
    expect((await api(`${KEYS}/${weak.id}`, strong, { method: "PUT", body: key({ scope: "read" }) })).status).toBe(200);
    expect((await api(`${KEYS}/${weak.id}`, strong, { method: "DELETE" })).status).toBe(204);
  });

  it("a key cannot drop client_credentials from its own grant types (409), another key can", async () => {
    const self = await createApplicationKey("self", { scope: "read write application_keys" });
    const own = await token(self);
    const res = await api(`${KEYS}/${self.id}`, own, { method: "PUT", body: key({ grant_types: ["implicit"] }) });
    expect([res.status, await res.json()]).toStrictEqual([
      409,
      error(409, "Conflict", "conflict", "A key cannot remove client_credentials from its own grant types; do it with another key."),
    ]);
    expect(claimsOf(await token(self)).scope).toBe("read write application_keys");
    // keeping client_credentials is fine
    expect((await api(`${KEYS}/${self.id}`, own, { method: "PUT", body: key({ grant_types: ["client_credentials"] }) })).status).toBe(200);
  });
});

describe("key management is its own audience", () => {
  it("a token that carries application_keys is for the admin API alone", async () => {
    const { client_id, client_secret } = await admin();
    const body = (await (await post("/oauth/access_token", { grant_type: "client_credentials", client_id, client_secret })).json()) as any;
    const claims = claimsOf(body.access_token);
    expect([claims.scope, claims.aud]).toStrictEqual(["read write application_keys", ADMIN_AUDIENCE]);
    expect((await api(KEYS, body.access_token)).status).toBe(200);
  });

  it("a key that holds both kinds of scope gets an API token by naming its API scopes; it cannot manage keys", async () => {
    const c = await admin();
    const apiToken = await token(c, { scope: "read write" });
    expect([claimsOf(apiToken).scope, claimsOf(apiToken).aud]).toStrictEqual(["read write", ORIGIN]);
    const res = await api(KEYS, apiToken);
    expect([res.status, res.headers.get("WWW-Authenticate")]).toStrictEqual([
      403,
      'Bearer realm="edge-token", error="insufficient_scope", scope="application_keys"',
    ]);
  });

  it("a token for a resource never carries application_keys: left out by default, refused when asked for", async () => {
    const c = await admin();
    const forOrders = await token(c, { resource: "https://orders.example" });
    expect([claimsOf(forOrders).scope, claimsOf(forOrders).aud]).toStrictEqual(["read write", "https://orders.example"]);
    const asked = await post("/oauth/access_token", {
      grant_type: "client_credentials",
      client_id: c.client_id,
      client_secret: c.client_secret,
      scope: "read application_keys",
      resource: "https://orders.example",
    });
    expect([asked.status, await asked.json()]).toStrictEqual([
      400,
      error(400, "Bad Request", "invalid_target", "A token that manages keys is for the admin API alone; ask for API scopes by name."),
    ]);
    // naming the admin API itself as the resource is fine (RFC 8707 clients do)
    expect(claimsOf(await token(c, { resource: ADMIN_AUDIENCE })).aud).toBe(ADMIN_AUDIENCE);
  });

  it("the RPC entrypoint and the importable verifier refuse it, even with no audience option, unless named", async () => {
    const adminToken = await token(await admin());
    const rpc = new TokenVerifier(createExecutionContext(), env);
    for (const needs of [undefined, { method: "GET" }, { scope: "application_keys" }, { method: "GET", audience: ORIGIN }]) {
      expect(await rpc.verify(adminToken, needs)).toStrictEqual({ valid: false, status: 401, error: "wrong_audience" });
    }
    expect((await rpc.verify(adminToken, { scope: "application_keys", audience: ADMIN_AUDIENCE })).valid).toBe(true);

    const module = createVerifier({ issuer: ORIGIN, jwks: env.EDGE_TOKEN, revocations: env.REVOCATIONS });
    expect(await module.verify(adminToken, { method: "GET" })).toStrictEqual({ valid: false, status: 401, error: "wrong_audience" });
    expect((await module.verify(adminToken, { scope: "application_keys", audience: ADMIN_AUDIENCE })).valid).toBe(true);
    const named = createVerifier({ issuer: ORIGIN, audience: ADMIN_AUDIENCE, jwks: env.EDGE_TOKEN, revocations: false });
    expect((await named.verify(adminToken, { scope: "application_keys" })).valid).toBe(true);
  });

  it("the fixture consumer and the Hono and itty-router recipes refuse the Admin key's default token", async () => {
    const c = await admin();
    const adminToken = await token(c);
    const apiToken = await token(c, { scope: "read write" });
    for (const way of ["rpc", "module"]) {
      for (const route of ["catalog", "keys"]) {
        const res = await env.CONSUMER.fetch(`https://api.example/${way}/${route}/x`, {
          headers: { Authorization: `Bearer ${adminToken}` },
        });
        expect([way, route, res.status, res.headers.get("X-Verify-Error")]).toStrictEqual([way, route, 401, "wrong_audience"]);
      }
      const ok = await env.CONSUMER.fetch(`https://api.example/${way}/catalog/x`, { headers: { Authorization: `Bearer ${apiToken}` } });
      expect([way, ok.status]).toStrictEqual([way, 200]);
    }

    const real = globalThis.fetch;
    vi.spyOn(globalThis, "fetch").mockImplementation((input: RequestInfo | URL, init?: RequestInit) => {
      const url = String(input instanceof Request ? input.url : input);
      return url.startsWith(`${ORIGIN}/`) ? call(url.slice(ORIGIN.length), init) : real(input, init);
    });
    const honoGet = (t: string) =>
      hono.fetch(
        new Request("https://api.example/api/products", { headers: { Authorization: `Bearer ${t}` } }),
        { ISSUER: ORIGIN },
        createExecutionContext(),
      );
    expect((await honoGet(adminToken)).status).toBe(401);
    expect((await honoGet(apiToken)).status).toBe(200);

    // the itty-router recipe describes its API (RFC 9728): tokens for it, asked for with `resource`
    const ittyEnv = { ISSUER: ORIGIN, RESOURCE: "https://orders.example", EDGE_TOKEN: env.EDGE_TOKEN, REVOCATIONS: env.REVOCATIONS };
    const ittyGet = (t: string) =>
      itty.fetch(
        new Request("https://api.example/products", { headers: { Authorization: `Bearer ${t}` } }),
        ittyEnv,
        createExecutionContext(),
      );
    expect((await ittyGet(adminToken)).status).toBe(401);
    expect((await ittyGet(await token(c, { scope: "read write", resource: "https://orders.example" }))).status).toBe(200);
  });

  it("the metadata and the OpenAPI document publish the admin audience", async () => {
    const metadata = (await (await call("/.well-known/oauth-authorization-server")).json()) as any;
    expect(metadata.application_keys_audience).toBe(ADMIN_AUDIENCE);
    const openapi = (await (await call("/openapi.json")).json()) as any;
    expect(openapi.components.securitySchemes.edgeToken["x-audience"]).toBe(ADMIN_AUDIENCE);
  });
});

describe("verifiers refuse to be misconfigured", () => {
  const base = { jwks: env.EDGE_TOKEN, revocations: false as const };
  it("createVerifier throws a TypeError without an http(s) issuer", () => {
    for (const issuer of [undefined, "", "  ", "auth.example", "/relative", 42, "urn:x"]) {
      expect(() => createVerifier({ ...base, issuer } as unknown as VerifierOptions)).toThrow(TypeError);
    }
    expect(() => createVerifier({ ...base, issuer: "" })).toThrow(
      'createVerifier: "issuer" must be the token service\'s ISSUER, an http(s) URL without query or fragment',
    );
  });

  it("a requirement whose scope is empty or blank is absent: the method rule applies, on RPC, module and withToken", async () => {
    const c = await createApplicationKey();
    const readOnly = await token(c as Creds, { scope: "read" });
    const rpc = new TokenVerifier(createExecutionContext(), env);
    const module = createVerifier({ issuer: ORIGIN, ...base });
    for (const scope of ["", " ", "   "]) {
      for (const v of [rpc, module]) {
        expect(await v.verify(readOnly, { scope, method: "POST" })).toStrictEqual({
          valid: false,
          status: 403,
          error: "read_only",
          scope: "write",
        });
        expect(await v.verify(readOnly, { scope })).toStrictEqual({ valid: false, status: 403, error: "read_only", scope: "write" });
        expect((await v.verify(readOnly, { scope, method: "GET" })).valid).toBe(true);
      }
      const guard = withToken(() => module, { scope });
      const refused = await guard(
        new Request("https://api.example/x", { method: "POST", headers: { Authorization: `Bearer ${readOnly}` } }),
        {},
      );
      expect(refused?.status).toBe(403);
      expect(await guard(new Request("https://api.example/x", { headers: { Authorization: `Bearer ${readOnly}` } }), {})).toBeUndefined();
    }
    // any other ill-formed requirement still throws
    await expect(rpc.verify(readOnly, { scope: "read  write" })).rejects.toThrow(TypeError);
    await expect(module.verify(readOnly, { scope: " read" })).rejects.toThrow(TypeError);
  });
});
