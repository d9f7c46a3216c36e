import { createExecutionContext, runDurableObjectAlarm, runInDurableObject } from "cloudflare:test";
import { env } from "cloudflare:workers";
import { afterEach, describe, expect, it, vi } from "vitest";
import type { Env } from "../../src/config/settings.ts";
import { TokenVerifier } from "../../src/index.ts";
import { registry } from "../../src/store/registry.ts";
import { ownerOf } from "../../src/store/status-owners.ts";
import { dropHeldIndices } from "../../src/tokens/status-index.ts";
import { call, claimsOf, createApplicationKey, error, FORM, post, registryStub } from "../support/helpers.ts";
import { bitInKv, faultyRegions, faultyRegistry, watchedRegions } from "../support/status.ts";

/**
 * Status lists by region (issue 32): each continent's status object owns the lists its tokens
 * name, takes their revocations alone, and a region whose object does not answer is passed over
 * for the next nearest one's. Storage of its own: it drops the isolate's held lease, which
 * every other suite's tokens would otherwise share.
 */
type Key = { id: string; client_id: string; client_secret: string };

afterEach(() => {
  vi.restoreAllMocks();
  dropHeldIndices();
});

/** A token request as a request from `continent` makes it (undefined: no cf.continent, as local development). */
function tokenRequest(k: Key, continent: string | undefined, overrides: Partial<Env> = {}, grant = "client_credentials") {
  const params: Record<string, string> = { grant_type: grant, client_id: k.client_id };
  if (grant === "client_credentials") params.client_secret = k.client_secret;
  const init = { method: "POST", headers: FORM, body: new URLSearchParams(params).toString(), cf: { continent } } as RequestInit;
  return call("/oauth/access_token", continent === undefined ? { ...init, cf: undefined } : init, overrides);
}

async function tokenIn(k: Key, continent: string | undefined, overrides: Partial<Env> = {}, grant = "client_credentials") {
  const res = await tokenRequest(k, continent, overrides, grant);
  expect(res.status).toBe(200);
  return ((await res.json()) as { access_token: string }).access_token;
}

const listName = (token: string) => claimsOf(token).status!.status_list.uri.split("/").at(-1)!;
/** The region whose object owns the token's list, by its number's leading digit. */
const regionOf = (token: string) => ownerOf(listName(token))!.region;
const revoke = (token: string, k: Key, overrides: Partial<Env> = {}) =>
  post("/oauth/revoke", { token, client_id: k.client_id, client_secret: k.client_secret }, {}, overrides);
const introspect = async (token: string, k: Key) =>
  (
    (await (await post("/oauth/introspect", { token, client_id: k.client_id, client_secret: k.client_secret })).json()) as {
      active: boolean;
    }
  ).active;

/** Every method of the registry failing, as an unreachable registry would. */
const NO_REGISTRY = faultyRegistry([
  "create",
  "update",
  "remove",
  "get",
  "list",
  "applicationKeyState",
  "revokeToken",
  "statusListDocument",
  "cutoffsDocument",
  "signingKeysDocument",
  "callerIsLive",
  "signingKeyState",
]);

describe("a token's list names the region whose object owns it", () => {
  it("a request from Europe gets a token in an eu list; its revocation goes to the eu object alone, never the registry", async () => {
    const k = await createApplicationKey("in Europe");
    const token = await tokenIn(k, "EU");
    expect(listName(token)).toMatch(/^3\d{8}$/);
    expect(regionOf(token)).toBe("eu");
    expect(claimsOf(token).status!.status_list.uri).toBe(`https://auth.example/oauth/status-lists/${listName(token)}`);

    const calls: string[] = [];
    const res = await revoke(token, k, { STATUS_REGIONS: watchedRegions(calls), REGISTRY: NO_REGISTRY });
    expect(res.status).toBe(200);
    expect(calls).toStrictEqual(["eu.revokeToken"]);
    expect(await bitInKv(token)).toBe(1);
    expect(await introspect(token, k)).toBe(false);
  });

  it("Antarctica leases in Oceania; no continent, or one Cloudflare does not name, in North America", async () => {
    const k = await createApplicationKey("anywhere");
    for (const [continent, region] of [
      ["AN", "oc"],
      [undefined, "na"],
      ["XX", "na"],
      ["SA", "sa"],
    ] as const) {
      dropHeldIndices();
      expect([continent, regionOf(await tokenIn(k, continent))]).toStrictEqual([continent, region]);
    }
  });

  it("the registry is on no token request's path: with it unreachable, tokens are issued, verified, introspected and revoked", async () => {
    const k = await createApplicationKey("registry down");
    await tokenIn(k, "EU"); // the key's record and the signing keys are in KV and this isolate
    const broken = { REGISTRY: NO_REGISTRY };
    for (const grant of ["client_credentials", "implicit"]) {
      const res = await tokenRequest(k, "EU", broken, grant);
      expect([grant, res.status]).toStrictEqual([grant, 200]);
    }
    dropHeldIndices(); // a lease taken now, too
    const token = await tokenIn(k, "EU", broken);
    const verifier = new TokenVerifier(createExecutionContext(), { ...env, ...broken } as Env);
    expect((await verifier.verify(token)).valid).toBe(true);
    expect((await revoke(token, k, broken)).status).toBe(200);
    expect(await verifier.verify(token)).toStrictEqual({ valid: false, status: 401, error: "revoked" });
    expect(await bitInKv(token)).toBe(1);
  });
});

describe("failover: a region's object that does not answer is passed over", () => {
  const quick = { STATUS_LEASE_TIMEOUT_MS: "150" };

  for (const mode of ["hang", "throw"] as const) {
    it(`Europe's object ${mode === "hang" ? "hanging" : "throwing"}: the token is leased from North America's (the nearest), issued 200, and stays revocable`, async () => {
      const k = await createApplicationKey(`eu ${mode}s`);
      const warnings: string[] = [];
      vi.spyOn(console, "warn").mockImplementation((line: string) => void warnings.push(line));
      const started = Date.now();
      const token = await tokenIn(k, "EU", { ...quick, STATUS_REGIONS: faultyRegions(["leaseStatusIndices"], mode, ["eu"]) });
      const took = Date.now() - started;
      expect(regionOf(token)).toBe("na");
      // a hang costs the bound once, a throw nothing like it
      expect(took).toBeLessThan(mode === "hang" ? 1500 : 1000);
      if (mode === "hang") expect(took).toBeGreaterThanOrEqual(140);
      expect(warnings.map((w) => JSON.parse(w) as Record<string, unknown>)).toContainEqual(
        expect.objectContaining({ status: "leased from another region", region: "eu", from: "na" }),
      );
      // Europe's object never hears of this token: its revocation goes where its list is
      const calls: string[] = [];
      expect((await revoke(token, k, { STATUS_REGIONS: watchedRegions(calls) })).status).toBe(200);
      expect(calls).toStrictEqual(["na.revokeToken"]);
      expect(await introspect(token, k)).toBe(false);
    });
  }

  it("Europe's and its two nearest regions' objects all down: 503 temporarily_unavailable with Retry-After, and no token without a status", async () => {
    const k = await createApplicationKey("nowhere to lease");
    vi.spyOn(console, "log").mockImplementation(() => {});
    const res = await tokenRequest(k, "EU", {
      ...quick,
      STATUS_REGIONS: faultyRegions(["leaseStatusIndices"], "throw", ["eu", "na", "af"]),
    });
    expect([res.status, res.headers.get("Retry-After"), await res.json()]).toStrictEqual([
      503,
      "5",
      error(503, "Service Unavailable", "temporarily_unavailable", "The service cannot issue tokens at the moment: try again shortly."),
    ]);
    // and once Europe answers again, Europe's
    expect(regionOf(await tokenIn(k, "EU"))).toBe("eu");
  });
});

describe("a token no status object could place spends nothing of its key's quota", () => {
  for (const [grant, quota] of [
    ["client_credentials", "token_quota"],
    ["implicit", "implicit_quota"],
  ] as const) {
    it(`${grant}: the 503 gives its ${quota} back, so the key still gets every token its quota allows`, async () => {
      const k = await createApplicationKey(`metered ${grant}`, { [quota]: { per_hour: 2 } });
      vi.spyOn(console, "log").mockImplementation(() => {});
      vi.spyOn(console, "warn").mockImplementation(() => {});
      vi.spyOn(console, "error").mockImplementation(() => {});
      const down = { STATUS_LEASE_TIMEOUT_MS: "150", STATUS_REGIONS: faultyRegions(["leaseStatusIndices"], "throw") };
      expect((await tokenRequest(k, "EU", down, grant)).status).toBe(503);
      await tokenIn(k, "EU", {}, grant);
      await tokenIn(k, "EU", {}, grant);
      expect((await tokenRequest(k, "EU", {}, grant)).status).toBe(429);
    });
  }
});

describe("a lease wakes its object's alarm only for work it left", () => {
  it("a lease from a list KV already has, with nothing left to write, sets no alarm for now: each alarm is a Durable Object request of its own", async () => {
    const stub = env.STATUS_REGIONS.getByName("af");
    const first = await stub.leaseStatusIndices("af", 64, 3600);
    // The first lease made the next list ahead of need and left it to the alarm to write.
    expect(await runDurableObjectAlarm(stub)).toBe(true);
    const asked = Date.now();
    const second = await stub.leaseStatusIndices("af", 64, 3600);
    expect(second).toStrictEqual({ list: first.list, start: first.start + 64, count: 64, until: first.until });
    const alarm = await runInDurableObject(stub, (_, state) => state.storage.getAlarm());
    // What is still due is hours away (the list's retirement, its document's refresh), not now.
    expect(alarm).not.toBeNull();
    expect(alarm! - asked).toBeGreaterThan(60_000);
  });
});

describe("mid-deploy: isolates of the version before regions still ask the registry", () => {
  it("a lease they ask of it comes from the default region's object, and a revocation they send it reaches the list's owner", async () => {
    const k = await createApplicationKey("asked the old way");
    const lease = await registry(env).leaseStatusIndices(1, 3600);
    expect(ownerOf(lease.list)?.region).toBe("na");
    expect(typeof lease.list).toBe("number"); // as that version builds its URIs from it

    const token = await tokenIn(k, "EU");
    const { jti, client_id, exp } = claimsOf(token);
    const place = { list: Number(listName(token)), idx: claimsOf(token).status!.status_list.idx };
    const calls: string[] = [];
    await runInDurableObject(registryStub(), (instance) => {
      (instance as unknown as { env: Env }).env = { ...env, STATUS_REGIONS: watchedRegions(calls) } as Env;
    });
    try {
      expect(
        await registry(env).revokeToken({ jti, client_id, exp, status: place as unknown as { list: string; idx: number } }),
      ).toStrictEqual({
        revoked: true,
      });
    } finally {
      await runInDurableObject(registryStub(), (instance) => {
        (instance as unknown as { env: Env }).env = env as Env;
      });
    }
    expect(calls).toStrictEqual(["eu.revokeToken"]);
    expect(await introspect(token, k)).toBe(false);
  });
});
