import { env } from "cloudflare:workers";
import { describe, expect, it } from "vitest";
import { badTokens } from "./bad-tokens.ts";
import { claimsOf, createClient, error, post, tokenFor } from "./helpers.ts";

/**
 * test/fixtures/consumer is a separate Worker with its own config. It binds edge-token's
 * TokenVerifier over a Service Binding (/rpc/*) and uses the importable verifier (/module/*),
 * which fetches the JWKS through a binding and reads edge-token's REVOCATIONS namespace.
 */
const PATHS = ["/rpc/catalog/products", "/module/catalog/products"] as const;

function consumer(path: string, token: string, method = "GET") {
  return env.CONSUMER.fetch(`https://api.example${path}`, { method, headers: { Authorization: `Bearer ${token}` } });
}

const INVALID = error(401, "Unauthorized", "invalid_token", "The access token is missing, invalid, expired or revoked.");

for (const path of PATHS) {
  describe(`a consumer Worker verifying via ${path.split("/")[1]}`, () => {
    it("accepts a valid token, for reads and writes", async () => {
      const client = await createClient();
      const token = await tokenFor(client);
      for (const method of ["GET", "POST", "DELETE"]) {
        const res = await consumer(path, token, method);
        expect(res.status).toBe(200);
        expect(await res.json()).toStrictEqual({ client_id: client.client_id, scope: "read write", path });
      }
    });

    it("refuses every bad token with 401 invalid_token and the failure code", async () => {
      const client = await createClient();
      for (const [name, token, code] of await badTokens(client)) {
        const res = await consumer(path, token);
        expect([name, res.status, res.headers.get("X-Verify-Error")]).toStrictEqual([name, 401, code]);
        expect(res.headers.get("WWW-Authenticate")).toBe('Bearer realm="api", error="invalid_token"');
        expect(await res.json()).toStrictEqual(INVALID);
      }
    });

    it("refuses a token revoked at the token service", async () => {
      const client = await createClient();
      const token = await tokenFor(client);
      expect((await consumer(path, token)).status).toBe(200);
      const revoke = await post("/oauth/revoke", { token, client_id: client.client_id, client_secret: client.client_secret });
      expect(revoke.status).toBe(200);
      const res = await consumer(path, token);
      expect([res.status, res.headers.get("X-Verify-Error")]).toStrictEqual([401, "revoked"]);
    });

    it("lets an implicit token read, and denies it writes with 403", async () => {
      const client = await createClient();
      const token = await tokenFor(client, "implicit");
      for (const method of ["GET", "HEAD", "OPTIONS"]) {
        expect([method, (await consumer(path, token, method)).status]).toStrictEqual([method, 200]);
      }
      for (const method of ["POST", "PUT", "PATCH", "DELETE"]) {
        const res = await consumer(path, token, method);
        expect([method, res.status, res.headers.get("X-Verify-Error")]).toStrictEqual([method, 403, "read_only"]);
        expect(res.headers.get("WWW-Authenticate")).toBe('Bearer realm="api", error="insufficient_scope"');
        expect(await res.json()).toStrictEqual(error(403, "Forbidden", "insufficient_scope", "This token may only read."));
      }
    });
  });
}

describe("the RPC entrypoint", () => {
  it("returns the documented VerifyResult shapes", async () => {
    const { TokenVerifier } = await import("../src/index.ts");
    const { createExecutionContext } = await import("cloudflare:test");
    const verifier = new TokenVerifier(createExecutionContext(), env);
    const client = await createClient();
    const token = await tokenFor(client, "implicit");
    expect(await verifier.verify(token)).toStrictEqual({ valid: true, claims: claimsOf(token) });
    expect(await verifier.verify(token, { method: "GET", path: "/x" })).toStrictEqual({ valid: true, claims: claimsOf(token) });
    expect(await verifier.verify(token, { method: "post" })).toStrictEqual({ valid: false, status: 403, error: "read_only" });
    expect(await verifier.verify("nope")).toStrictEqual({ valid: false, status: 401, error: "malformed" });
    expect(await verifier.verify(42 as unknown as string)).toStrictEqual({ valid: false, status: 401, error: "malformed" });
  });
});
