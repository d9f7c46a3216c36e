import { createExecutionContext, runInDurableObject } from "cloudflare:test";
import { env } from "cloudflare:workers";
import { afterEach, describe, expect, it, vi } from "vitest";
import type { Env } from "../../src/config/settings.ts";
import { TokenVerifier } from "../../src/index.ts";
import { call, claimsOf, createAdmin, createApplicationKey, error, faulty, post, registryStub, tokenFor } from "../support/helpers.ts";
import { faultyRegions, faultyRegistry } from "../support/status.ts";

/**
 * The fault table of docs/security.md ("Faults"), row by row: what token requests,
 * verification, revocation and the admin API answer while one part is down. The rows that
 * other suites show are named there. Storage of its own: it swaps the registry's bindings.
 */
afterEach(async () => {
  vi.restoreAllMocks();
  await registryEnv(env as Env);
});

const registryEnv = (e: Env) =>
  runInDurableObject(registryStub(), (instance) => {
    (instance as unknown as { env: Env }).env = e;
  });

type Key = { client_id: string; client_secret: string };
const unavailable = error(
  503,
  "Service Unavailable",
  "temporarily_unavailable",
  "The service cannot complete this request at the moment: try again shortly.",
);
const bearer = (token: string) => ({ headers: { Authorization: `Bearer ${token}` } });
const tokenRequest = (k: Key, overrides: Partial<Env> = {}) =>
  post("/oauth/access_token", { grant_type: "client_credentials", client_id: k.client_id, client_secret: k.client_secret }, {}, overrides);
const introspect = async (token: string, k: Key, overrides: Partial<Env> = {}) => {
  const res = await post("/oauth/introspect", { token, client_id: k.client_id, client_secret: k.client_secret }, {}, overrides);
  return [res.status, ((await res.json()) as { active?: boolean }).active];
};
const quiet = () => {
  vi.spyOn(console, "log").mockImplementation(() => {});
  vi.spyOn(console, "error").mockImplementation(() => {});
};

describe("the registry unavailable", () => {
  const NO_REGISTRY = { REGISTRY: faultyRegistry(["list", "get", "create", "callerIsLive", "auditTrail", "signingKeyState"]) };

  it("the admin API answers 503 temporarily_unavailable with Retry-After; introspection goes on answering", async () => {
    quiet();
    const admin = await createAdmin();
    const token = await tokenFor(admin);
    expect((await call("/v2/application-keys", bearer(token))).status).toBe(200);
    for (const path of ["/v2/application-keys", "/v2/application-keys/audit"]) {
      const res = await call(path, bearer(token), NO_REGISTRY);
      expect([path, res.status, res.headers.get("Retry-After"), await res.json()]).toStrictEqual([path, 503, "5", unavailable]);
    }
    expect(await introspect(token, admin, NO_REGISTRY)).toStrictEqual([200, true]);
  });
});

describe("one region's status object unavailable", () => {
  it("its tokens verify (RPC and introspection read KV's copy of the list), and the rest of the service does not notice", async () => {
    const k = await createApplicationKey("beside a broken region");
    const token = await tokenFor(k);
    const broken = {
      STATUS_REGIONS: faultyRegions(["leaseStatusIndices", "revokeToken", "statusListDocument", "isRevoked"], "throw", ["na"]),
    };
    const verifier = new TokenVerifier(createExecutionContext(), { ...env, ...broken } as Env);
    expect((await verifier.verify(token)).valid).toBe(true);
    expect(await introspect(token, k, broken)).toStrictEqual([200, true]);
  });

  it("a key manager whose token's list is there is answered 503 by the admin API, never let through unchecked", async () => {
    quiet();
    const admin = await createAdmin();
    const token = await tokenFor(admin);
    expect(claimsOf(token).status!.status_list.uri).toMatch(/\/4\d{8}$/);
    await registryEnv({ ...env, STATUS_REGIONS: faultyRegions(["isRevoked"], "throw", ["na"]) } as Env);
    const listed = await call("/v2/application-keys", bearer(token));
    expect([listed.status, listed.headers.get("Retry-After")]).toStrictEqual([503, "5"]);
    const created = await call("/v2/application-keys", {
      method: "POST",
      headers: { ...bearer(token).headers, "Content-Type": "application/json" },
      body: JSON.stringify({ data: { type: "application_key", name: "made while na is down" } }),
    });
    expect([created.status, await created.json()]).toStrictEqual([
      503,
      error(
        503,
        "Service Unavailable",
        "temporarily_unavailable",
        "The token's status cannot be checked at the moment: try again shortly.",
      ),
    ]);
    await registryEnv(env as Env);
    expect((await call("/v2/application-keys", bearer(token))).status).toBe(200);
  });
});

describe("one region's status object hanging", () => {
  it("a key manager whose token's list is there is answered 503 within the registry's bound (2 s), not left hanging", async () => {
    quiet();
    const admin = await createAdmin();
    const token = await tokenFor(admin);
    await registryEnv({ ...env, STATUS_REGIONS: faultyRegions(["isRevoked"], "hang", ["na"]) } as Env);
    const started = Date.now();
    const listed = await call("/v2/application-keys", bearer(token));
    const took = Date.now() - started;
    expect([listed.status, listed.headers.get("Retry-After")]).toStrictEqual([503, "5"]);
    expect(took).toBeGreaterThanOrEqual(1900);
    expect(took).toBeLessThan(10_000);
  });
});

describe("KV failing", () => {
  it("reads: a key this isolate holds keeps getting tokens that verify; one it has not read is a 500 in the documented shape", async () => {
    quiet();
    // One env for the whole test, as an isolate has: its caches are kept per env object.
    let failing = false;
    const broken = {
      ...env,
      CLIENTS: faulty(env.CLIENTS, ["get"], "throw", () => failing),
      REVOCATIONS: faulty(env.REVOCATIONS, ["get"], "throw", () => failing),
    } as Env;
    const held = await createApplicationKey("held here");
    const first = await tokenRequest(held, broken);
    const { access_token } = (await first.json()) as { access_token: string };
    const verifier = new TokenVerifier(createExecutionContext(), broken);
    expect((await verifier.verify(access_token)).valid).toBe(true);
    const unseen = await createApplicationKey("never read here");
    failing = true;
    expect((await tokenRequest(held, broken)).status).toBe(200);
    expect((await verifier.verify(access_token)).valid).toBe(true);
    const res = await tokenRequest(unseen, broken);
    expect([res.status, await res.json()]).toStrictEqual([
      500,
      error(500, "Internal Server Error", "server_error", "there was a problem processing your request"),
    ]);
  });

  it("writes: no token request, verification or introspection writes to KV, so none notices", async () => {
    const k = await createApplicationKey("KV takes no writes");
    await tokenFor(k);
    const broken = {
      CLIENTS: faulty(env.CLIENTS, ["put", "delete"], "throw"),
      REVOCATIONS: faulty(env.REVOCATIONS, ["put", "delete"], "throw"),
    };
    const res = await tokenRequest(k, broken);
    expect(res.status).toBe(200);
    const { access_token } = (await res.json()) as { access_token: string };
    expect(await introspect(access_token, k, broken)).toStrictEqual([200, true]);
  });
});

describe("a client's ledger unavailable", () => {
  it("a key with a quota is answered 503 (its quota is never guessed); a key without one does not touch a ledger", async () => {
    quiet();
    const metered = await createApplicationKey("metered", { token_quota: { per_hour: 100 } });
    const free = await createApplicationKey("unmetered");
    const broken = { CLIENT_LEDGER: faultyLedger() };
    const res = await tokenRequest(metered, broken);
    expect([res.status, res.headers.get("Retry-After"), await res.json()]).toStrictEqual([503, "5", unavailable]);
    expect((await tokenRequest(free, broken)).status).toBe(200);
    expect((await tokenRequest(metered)).status).toBe(200);
  });
});

/** Every ledger throwing, as an unreachable one would. */
function faultyLedger(): Env["CLIENT_LEDGER"] {
  return {
    getByName: () => new Proxy({}, { get: () => () => Promise.reject(new Error("the ledger is unavailable (injected)")) }),
  } as unknown as Env["CLIENT_LEDGER"];
}
