import { createExecutionContext } from "cloudflare:test";
import { env } from "cloudflare:workers";
import { afterEach, beforeEach, describe, expect, it, vi } from "vitest";
import type { Env } from "../src/env.ts";
import { TokenVerifier } from "../src/index.ts";
import { basic, call, claimsOf, createAdmin, createClient, error, faulty, type KvOp as Op, post, tokenFor } from "./helpers.ts";

type Mode = "throw" | "hang";

/**
 * The real local KV bindings, wrapped so that chosen operations throw or never answer.
 * Every endpoint must then answer the reference's 500, quickly, and leave nothing half-done.
 */

const SERVER_ERROR = error(500, "Internal Server Error", "server_error", "there was a problem processing your request");
// Short deadlines, and no isolate caches that would answer without asking the faulty KV.
const FAST = { KV_TIMEOUT_MS: "50", CLIENT_CACHE_SECONDS: "0", REVOCATION_CACHE_SECONDS: "0" };

let logged: string[];
beforeEach(() => {
  logged = [];
  vi.spyOn(console, "error").mockImplementation((line: unknown) => void logged.push(String(line)));
  vi.spyOn(console, "log").mockImplementation(() => {});
});
afterEach(() => vi.restoreAllMocks());

async function expect500(res: Response, cause: string) {
  expect(res.status).toBe(500);
  expect(res.headers.get("Cache-Control")).toBe("no-store");
  expect(await res.json()).toStrictEqual(SERVER_ERROR);
  expect([logged.some((l) => l.includes(cause)), logged]).toStrictEqual([true, logged]);
}

const causeOf = (mode: Mode) => (mode === "throw" ? "KV is unavailable (injected)" : "KvTimeoutError");

for (const mode of ["throw", "hang"] as const) {
  describe(`KV that ${mode === "throw" ? "throws" : "hangs"}`, () => {
    const faults = (binding: "CLIENTS" | "REVOCATIONS", ops: Op[], when?: (key: unknown) => boolean): Partial<Env> => ({
      ...FAST,
      [binding]: faulty(env[binding], ops, mode, when),
    });

    it("token endpoint: both grants answer 500", async () => {
      const client = await createClient();
      const started = Date.now();
      const grants: Record<string, string>[] = [
        { grant_type: "client_credentials", client_id: client.client_id, client_secret: client.client_secret },
        { grant_type: "implicit", client_id: client.client_id },
      ];
      for (const params of grants) {
        await expect500(await post("/oauth/access_token", params, {}, faults("CLIENTS", ["get"])), causeOf(mode));
      }
      expect(Date.now() - started).toBeLessThan(2000);
    });

    it("introspection answers 500, never a guess of active or inactive", async () => {
      const client = await createClient();
      const token = await tokenFor(client);
      await expect500(
        await post("/oauth/introspect", { token }, basic(client.client_id, client.client_secret), faults("REVOCATIONS", ["get"])),
        causeOf(mode),
      );
      await expect500(
        await post("/oauth/introspect", { token }, basic(client.client_id, client.client_secret), faults("CLIENTS", ["get"])),
        causeOf(mode),
      );
    });

    it("revocation answers 500 when it cannot read or write, and the token stays as it was", async () => {
      const client = await createClient();
      const token = await tokenFor(client);
      const creds = { client_id: client.client_id, client_secret: client.client_secret };
      await expect500(await post("/oauth/revoke", { token, ...creds }, {}, faults("REVOCATIONS", ["get"])), causeOf(mode));
      await expect500(await post("/oauth/revoke", { token, ...creds }, {}, faults("REVOCATIONS", ["put"])), causeOf(mode));
      expect(await env.REVOCATIONS.get(`jti:${claimsOf(token).jti}`)).toBeNull();
      // and once KV is back, the same request revokes it
      expect((await post("/oauth/revoke", { token, ...creds })).status).toBe(200);
    });

    it("the admin API answers 500 on every operation", async () => {
      const token = await tokenFor(await createAdmin("operator"));
      const auth = { Authorization: `Bearer ${token}`, "Content-Type": "application/json" };
      const body = JSON.stringify({ data: { type: "application_key", name: "x" } });
      const made = (await (await call("/v2/application-keys", { method: "POST", headers: auth, body })).json()) as { data: { id: string } };
      const id = made.data.id;
      const cases: [string, RequestInit, Partial<Env>][] = [
        ["/v2/application-keys", { headers: auth }, faults("CLIENTS", ["list"])],
        [
          "/v2/application-keys",
          { headers: auth },
          faults("CLIENTS", ["get"], (k) => Array.isArray(k) && String(k[0]).startsWith("client:")),
        ],
        [`/v2/application-keys/${id}`, { headers: auth }, faults("CLIENTS", ["get"], (k) => String(k).startsWith("appkey:"))],
        [`/v2/application-keys/${id}`, { method: "PUT", headers: auth, body }, faults("CLIENTS", ["put"])],
        [`/v2/application-keys/${id}`, { method: "DELETE", headers: auth }, faults("REVOCATIONS", ["put"])],
        [`/v2/application-keys/${id}`, { method: "DELETE", headers: auth }, faults("CLIENTS", ["delete"])],
        ["/v2/application-keys", { method: "POST", headers: auth, body }, faults("CLIENTS", ["put"])],
        ["/v2/application-keys", { headers: auth }, faults("REVOCATIONS", ["get"])],
      ];
      for (const [path, init, overrides] of cases) {
        logged = [];
        await expect500(await call(path, init, overrides), causeOf(mode));
      }
    });

    it("a key creation that fails half-way leaves nothing usable behind", async () => {
      const token = await tokenFor(await createAdmin("operator"));
      const before = (await env.CLIENTS.list()).keys.map((k) => k.name).sort();
      // the index write succeeds, the record write fails
      const res = await call(
        "/v2/application-keys",
        {
          method: "POST",
          headers: { Authorization: `Bearer ${token}`, "Content-Type": "application/json" },
          body: JSON.stringify({ data: { type: "application_key", name: "half" } }),
        },
        faults("CLIENTS", ["put"], (k) => String(k).startsWith("client:")),
      );
      await expect500(res, causeOf(mode));
      const after = (await env.CLIENTS.list()).keys.map((k) => k.name).sort();
      expect(after).toStrictEqual(before);
    });

    it("a key deletion that fails half-way never leaves live tokens of a key reported gone", async () => {
      const token = await tokenFor(await createAdmin("operator"));
      const auth = { Authorization: `Bearer ${token}`, "Content-Type": "application/json" };
      const key = (
        (await (
          await call("/v2/application-keys", {
            method: "POST",
            headers: auth,
            body: JSON.stringify({ data: { type: "application_key", name: "d" } }),
          })
        ).json()) as {
          data: { id: string; client_id: string; client_secret: string };
        }
      ).data;
      const keyToken = await tokenFor(key);
      // revocation written, record delete fails: 500, and the key's tokens are already dead
      await expect500(
        await call(`/v2/application-keys/${key.id}`, { method: "DELETE", headers: auth }, faults("CLIENTS", ["delete"])),
        causeOf(mode),
      );
      const inspector = await createClient();
      const introspected = await post("/oauth/introspect", {
        token: keyToken,
        client_id: inspector.client_id,
        client_secret: inspector.client_secret,
      });
      expect(await introspected.json()).toStrictEqual({ active: false });
      // the retry completes
      expect((await call(`/v2/application-keys/${key.id}`, { method: "DELETE", headers: auth })).status).toBe(204);
      expect((await post("/oauth/access_token", { grant_type: "implicit", client_id: key.client_id })).status).toBe(401);
    });

    it("the RPC entrypoint fails closed: it rejects rather than answer valid", async () => {
      const client = await createClient();
      const token = await tokenFor(client);
      const verifier = new TokenVerifier(createExecutionContext(), { ...env, ...faults("REVOCATIONS", ["get"]) } as Env);
      await expect(verifier.verify(token)).rejects.toThrow(mode === "throw" ? "KV is unavailable" : "did not answer");
    });
  });
}
