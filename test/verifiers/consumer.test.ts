import { env } from "cloudflare:workers";
import { describe, expect, it } from "vitest";
import { badTokens } from "../support/bad-tokens.ts";
import { claimsOf, createAdmin, createApplicationKey, error, post, tokenFor } from "../support/helpers.ts";

/**
 * test/fixtures/consumer is a separate Worker with its own config. It binds edge-token's
 * TokenVerifier over a Service Binding (/rpc/*) and uses the importable verifier (/module/*),
 * which fetches the JWKS through a binding and reads edge-token's REVOCATIONS namespace.
 */
const PATHS = ["/rpc/catalog/products", "/module/catalog/products"] as const;

function consumer(path: string, token: string, method = "GET") {
  return env.CONSUMER.fetch(`https://api.example${path}`, { method, headers: { Authorization: `Bearer ${token}` } });
}

/** The challenges of a refused request: an unusable token's, and that of a request that sent none (RFC 6750 §3.1: no error code). */
const UNUSABLE = 'Bearer realm="api", error="invalid_token", DPoP algs="EdDSA Ed25519 ES256 PS256", error="invalid_token"';
const NEEDED = 'Bearer realm="api", DPoP algs="EdDSA Ed25519 ES256 PS256"';
const INVALID = error(401, "Unauthorized", "invalid_token", "The access token is missing, invalid, expired or revoked.");

for (const path of PATHS) {
  describe(`a consumer Worker verifying via ${path.split("/")[1]}`, () => {
    it("accepts a valid token, for reads and writes", async () => {
      const client = await createApplicationKey();
      const token = await tokenFor(client);
      for (const method of ["GET", "POST", "DELETE"]) {
        const res = await consumer(path, token, method);
        expect(res.status).toBe(200);
        expect(await res.json()).toStrictEqual({ client_id: client.client_id, scope: "read write", path });
      }
    });

    it("refuses every bad token with 401 invalid_token and the failure code", async () => {
      const client = await createApplicationKey();
      for (const [name, token, code] of await badTokens(client)) {
        const res = await consumer(path, token);
        expect([name, res.status, res.headers.get("X-Verify-Error")]).toStrictEqual([name, 401, code]);
        expect(res.headers.get("WWW-Authenticate")).toBe(UNUSABLE);
        expect(await res.json()).toStrictEqual(INVALID);
      }
    });

    it("refuses a token revoked at the token service", async () => {
      const client = await createApplicationKey();
      const token = await tokenFor(client);
      expect((await consumer(path, token)).status).toBe(200);
      const revoke = await post("/oauth/revoke", { token, client_id: client.client_id, client_secret: client.client_secret });
      expect(revoke.status).toBe(200);
      const res = await consumer(path, token);
      expect([res.status, res.headers.get("X-Verify-Error")]).toStrictEqual([401, "revoked"]);
    });

    it("lets an implicit token read, and denies it writes with 403", async () => {
      const client = await createApplicationKey();
      const token = await tokenFor(client, "implicit");
      for (const method of ["GET", "HEAD", "OPTIONS"]) {
        expect([method, (await consumer(path, token, method)).status]).toStrictEqual([method, 200]);
      }
      for (const method of ["POST", "PUT", "PATCH", "DELETE"]) {
        const res = await consumer(path, token, method);
        expect([method, res.status, res.headers.get("X-Verify-Error")]).toStrictEqual([method, 403, "read_only"]);
        expect(res.headers.get("WWW-Authenticate")).toBe('Bearer realm="api", error="insufficient_scope", scope="write"');
        expect(await res.json()).toStrictEqual(error(403, "Forbidden", "insufficient_scope", "This token may only read."));
      }
    });
  });
}

/** A token as the service issues it for these form parameters. */
async function issued(params: Record<string, string>) {
  const res = await post("/oauth/access_token", params);
  expect(res.status).toBe(200);
  return ((await res.json()) as { access_token: string }).access_token;
}
const cc = (c: { client_id: string; client_secret: string }, extra: Record<string, string> = {}) => ({
  grant_type: "client_credentials",
  client_id: c.client_id,
  client_secret: c.client_secret,
  ...extra,
});

const INSUFFICIENT = (scope: string) => `Bearer realm="api", error="insufficient_scope", scope="${scope}"`;

for (const way of ["rpc", "module"] as const) {
  describe(`route-level requirements, verified via ${way}`, () => {
    const at = (route: string) => `/${way}/${route}/x`;

    it("a route that needs a scope: every needed scope held passes, whatever the method; a missing one is 403 with the scope in the challenge", async () => {
      const plain = await tokenFor(await createApplicationKey()); // read write
      const admin = await tokenFor(await createAdmin()); // read write application_keys: for the admin API alone
      const browser = await tokenFor(await createApplicationKey(), "implicit"); // read

      for (const method of ["GET", "POST"]) {
        expect([method, (await consumer(at("reports"), browser, method)).status]).toStrictEqual([method, 200]);
      }
      const refused = await consumer(at("keys"), plain, "GET");
      expect([refused.status, refused.headers.get("X-Verify-Error"), refused.headers.get("WWW-Authenticate")]).toStrictEqual([
        403,
        "insufficient_scope",
        INSUFFICIENT("application_keys"),
      ]);
      expect(await refused.json()).toStrictEqual(
        error(403, "Forbidden", "insufficient_scope", "This token lacks the scope this request needs."),
      );
      // a token that could manage keys never reaches an API, whatever the route asks for
      const adminRes = await consumer(at("keys"), admin, "DELETE");
      expect([adminRes.status, adminRes.headers.get("X-Verify-Error")]).toStrictEqual([401, "wrong_audience"]);
    });

    it("no token is told one is needed (no error code); a token sent wrongly (after a tab, beside Basic) is an unusable one", async () => {
      const token = await tokenFor(await createApplicationKey());
      const basic = `Basic ${btoa("someone:something")}`;
      const sent = (authorization?: string) =>
        env.CONSUMER.fetch(`https://api.example${at("catalog")}`, authorization ? { headers: { Authorization: authorization } } : {});
      for (const [name, authorization, code, challenge] of [
        ["none", undefined, "no_token", NEEDED],
        ["Basic only", basic, "no_token", NEEDED],
        ["after a tab", `Bearer\t${token}`, "malformed", UNUSABLE],
        ["beside Basic", `${basic}, Bearer ${token}`, "malformed", UNUSABLE],
      ] as const) {
        const res = await sent(authorization);
        expect([name, res.status, res.headers.get("X-Verify-Error"), res.headers.get("WWW-Authenticate")]).toStrictEqual([
          name,
          401,
          code,
          challenge,
        ]);
      }
      expect((await sent(`Bearer ${token}`)).status).toBe(200);
    });

    it("a route that says nothing is checked as a write: a read-only token is refused, never waved through", async () => {
      const browser = await tokenFor(await createApplicationKey(), "implicit");
      const res = await consumer(at("open"), browser, "GET");
      expect([res.status, res.headers.get("X-Verify-Error"), res.headers.get("WWW-Authenticate")]).toStrictEqual([
        403,
        "read_only",
        INSUFFICIENT("write"),
      ]);
      expect((await consumer(at("open"), await tokenFor(await createApplicationKey()), "GET")).status).toBe(200);
    });

    it("a token narrowed with scope=read may only read on a method-rule route", async () => {
      const client = await createApplicationKey();
      const narrowed = await issued(cc(client, { scope: "read" }));
      expect(claimsOf(narrowed).scope).toBe("read");
      expect((await consumer(at("catalog"), narrowed, "GET")).status).toBe(200);
      const write = await consumer(at("catalog"), narrowed, "POST");
      expect([write.status, write.headers.get("X-Verify-Error")]).toStrictEqual([403, "read_only"]);
    });

    it("a resource server that names its audience takes only tokens issued for it (RFC 8707)", async () => {
      const client = await createApplicationKey();
      const forOrders = await issued(cc(client, { resource: "https://orders.example" }));
      const forReports = await issued(cc(client, { resource: "https://reports.example" }));
      const general = await issued(cc(client));
      expect((await consumer(at("orders"), forOrders, "POST")).status).toBe(200);
      for (const [name, token] of [
        ["for another resource", forReports],
        ["for the service itself", general],
      ] as const) {
        const res = await consumer(at("orders"), token, "GET");
        expect([name, res.status, res.headers.get("X-Verify-Error")]).toStrictEqual([name, 401, "wrong_audience"]);
      }
    });
  });
}

describe("the RPC entrypoint", () => {
  it("returns the documented VerifyResult shapes", async () => {
    const { TokenVerifier } = await import("../../src/index.ts");
    const { createExecutionContext } = await import("cloudflare:test");
    const verifier = new TokenVerifier(createExecutionContext(), env);
    const client = await createApplicationKey();
    const token = await tokenFor(client, "implicit");
    // told nothing about the request, the check is that of a write: a read-only token is refused
    expect(await verifier.verify(token)).toStrictEqual({ valid: false, status: 403, error: "read_only", scope: "write" });
    expect(await verifier.verify(token, { method: "GET", path: "/x" })).toStrictEqual({ valid: true, claims: claimsOf(token) });
    expect(await verifier.verify(token, { method: "post" })).toStrictEqual({
      valid: false,
      status: 403,
      error: "read_only",
      scope: "write",
    });
    expect(await verifier.verify("nope")).toStrictEqual({ valid: false, status: 401, error: "malformed" });
    expect(await verifier.verify(token, { scope: "read" })).toStrictEqual({ valid: true, claims: claimsOf(token) });
    expect(await verifier.verify(token, { scope: "read write", method: "GET" })).toStrictEqual({
      valid: false,
      status: 403,
      error: "insufficient_scope",
      scope: "read write",
    });
    // an empty scope is no requirement at all, so the method rule applies: here, that of a write
    expect(await verifier.verify(token, { scope: "" })).toStrictEqual({ valid: false, status: 403, error: "read_only", scope: "write" });
    // a malformed requirement is the caller's bug: it throws rather than guess
    await expect(verifier.verify(token, { scope: "read  write" })).rejects.toThrow(TypeError);
    await expect(verifier.verify(token, { scope: 7 as unknown as string })).rejects.toThrow(TypeError);
    await expect(verifier.verify(token, { method: "GET", audience: 7 as unknown as string })).rejects.toThrow(TypeError);
    expect(await verifier.verify(42 as unknown as string)).toStrictEqual({ valid: false, status: 401, error: "malformed" });
  });
});
