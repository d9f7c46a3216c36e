import { createExecutionContext, runDurableObjectAlarm, runInDurableObject } from "cloudflare:test";
import { env } from "cloudflare:workers";
import { afterEach, beforeEach, describe, expect, it, vi } from "vitest";
import type { Env } from "../../src/config/settings.ts";
import { TokenVerifier } from "../../src/index.ts";
import { ALL_TOKENS, ALL_VERSIONS } from "../../src/oauth/status.ts";
import {
  basic,
  call,
  createAdmin,
  createApplicationKey,
  error,
  faulty,
  type KvOp as Op,
  post,
  registryStub,
  tokenFor,
} from "../support/helpers.ts";
import { bitInKv, cutoffsInKv } from "../support/status.ts";

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

/** The registry's own bindings, with `overrides` (and short KV deadlines): its write-throughs use them. */
async function registryKv(overrides: Partial<Env>) {
  await runInDurableObject(registryStub(), (instance) => {
    (instance as unknown as { env: Env }).env = {
      ...env,
      ...(Object.keys(overrides).length ? { ...overrides, KV_TIMEOUT_MS: "50" } : {}),
    } as Env;
  });
}

/** The CLIENTS key of the signing keys' document, and every other key (the key records). */
const signingKeys = (key: unknown) => key === "signing-keys";
const records = (key: unknown) => key !== "signing-keys";

const causeOf = (mode: Mode) => (mode === "throw" ? "KV is unavailable (injected)" : "KvTimeoutError");

for (const mode of ["throw", "hang"] as const) {
  describe(`KV that ${mode === "throw" ? "throws" : "hangs"}`, () => {
    const faults = (binding: "CLIENTS" | "REVOCATIONS", ops: Op[], when?: (key: unknown) => boolean): Partial<Env> => ({
      ...FAST,
      [binding]: faulty(env[binding], ops, mode, when),
    });

    it("token endpoint: both grants answer 500", async () => {
      const client = await createApplicationKey();
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
      const client = await createApplicationKey();
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

    it("revocation answers 500 when it cannot authenticate the caller, and needs no KV of its own to revoke", async () => {
      const client = await createApplicationKey();
      const token = await tokenFor(client);
      const creds = { client_id: client.client_id, client_secret: client.client_secret };
      await expect500(await post("/oauth/revoke", { token, ...creds }, {}, faults("CLIENTS", ["get"])), causeOf(mode));
      expect(await bitInKv(token)).toBe(0);
      // Nor when it cannot read the signing keys it checks the token with.
      await expect500(await post("/oauth/revoke", { token, ...creds }, {}, faults("CLIENTS", ["get"], signingKeys)), causeOf(mode));
      expect(await bitInKv(token)).toBe(0);
      // The registry records the revocation and writes KV: this Worker's REVOCATIONS is not read to revoke.
      expect((await post("/oauth/revoke", { token, ...creds }, {}, faults("REVOCATIONS", ["get", "put"]))).status).toBe(200);
      expect(await bitInKv(token)).toBe(1);
    });

    it("the admin API answers 500 when it cannot check the caller's token; its reads need no KV", async () => {
      const token = await tokenFor(await createAdmin("operator"));
      const auth = { Authorization: `Bearer ${token}`, "Content-Type": "application/json" };
      const body = JSON.stringify({ data: { type: "application_key", name: "x" } });
      await expect500(await call("/v2/application-keys", { headers: auth }, faults("REVOCATIONS", ["get"])), causeOf(mode));
      // Keys are read from and written through the registry, not this Worker's KV bindings (but for the signing keys the token is checked with).
      const broken = faults("CLIENTS", ["get", "put", "list", "delete"], records);
      const made = await call("/v2/application-keys", { method: "POST", headers: auth, body }, broken);
      expect(made.status).toBe(201);
      const { id } = ((await made.json()) as { data: { id: string } }).data;
      expect((await call(`/v2/application-keys/${id}`, { headers: auth }, broken)).status).toBe(200);
      expect((await call("/v2/application-keys", { headers: auth }, broken)).status).toBe(200);
    });

    it("a write-through that KV refuses is kept and retried: the change is made and answered, the edge learns it late", async () => {
      const token = await tokenFor(await createAdmin("operator"));
      const auth = { Authorization: `Bearer ${token}`, "Content-Type": "application/json" };
      const warnings: string[] = [];
      vi.spyOn(console, "warn").mockImplementation((line: unknown) => void warnings.push(String(line)));

      await registryKv(faults("CLIENTS", ["put"]));
      const made = await call("/v2/application-keys", {
        method: "POST",
        headers: auth,
        body: JSON.stringify({ data: { type: "application_key", name: "late" } }),
      });
      expect(made.status).toBe(201); // the key exists, and its secret is not lost
      const key = ((await made.json()) as { data: { id: string; client_id: string; client_secret: string } }).data;
      expect(JSON.parse(warnings.at(-1)!)).toMatchObject({ level: "warn", status: 201, outcome: "write_through_pending" });
      expect(logged.some((l) => l.includes("write-through failed"))).toBe(true);
      // Nothing usable reached KV yet: the key cannot get a token...
      expect((await post("/oauth/access_token", { grant_type: "implicit", client_id: key.client_id }, {}, FAST)).status).toBe(401);
      // ...until the registry's alarm retries, with KV back.
      await registryKv({});
      await runDurableObjectAlarm(registryStub());
      expect((await post("/oauth/access_token", { grant_type: "implicit", client_id: key.client_id }, {}, FAST)).status).toBe(200);

      const keyToken = await tokenFor(key);
      await registryKv(faults("REVOCATIONS", ["put"]));
      expect((await call(`/v2/application-keys/${key.id}`, { method: "DELETE", headers: auth })).status).toBe(204);
      await registryKv({});
      await runDurableObjectAlarm(registryStub());
      const inspector = await createApplicationKey();
      const introspected = await post(
        "/oauth/introspect",
        { token: keyToken, client_id: inspector.client_id, client_secret: inspector.client_secret },
        {},
        FAST,
      );
      expect(await introspected.json()).toStrictEqual({ active: false });
      expect((await post("/oauth/access_token", { grant_type: "implicit", client_id: key.client_id }, {}, FAST)).status).toBe(401);
      expect((await cutoffsInKv())?.clients[key.client_id]).toStrictEqual({ v: ALL_VERSIONS, t: ALL_TOKENS });
    });

    it("the RPC entrypoint fails closed: a token whose status it cannot learn is refused, never answered valid", async () => {
      const client = await createApplicationKey();
      const token = await tokenFor(client);
      const verifier = new TokenVerifier(createExecutionContext(), { ...env, ...faults("REVOCATIONS", ["get"]) } as Env);
      expect(await verifier.verify(token)).toStrictEqual({ valid: false, status: 401, error: "status_unavailable" });
      // An isolate that cannot read the keys at all has nothing to check a signature with: the call fails, it never says valid.
      const keyless = new TokenVerifier(createExecutionContext(), { ...env, ...faults("CLIENTS", ["get"], signingKeys) } as Env);
      await expect(keyless.verify(token)).rejects.toThrow(mode === "throw" ? "KV is unavailable (injected)" : "did not answer");
    });
  });
}
