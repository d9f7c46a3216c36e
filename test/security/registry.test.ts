import { createExecutionContext } from "cloudflare:test";
import { env } from "cloudflare:workers";
import { afterEach, describe, expect, it, vi } from "vitest";
import { TokenVerifier } from "../../src/index.ts";
import { ALL_TOKENS, ALL_VERSIONS } from "../../src/oauth/status.ts";
import { call, claimsOf, createAdmin, createApplicationKey, issueAt, nowSeconds, post } from "../support/helpers.ts";
import { jsonIn } from "../support/kv-values.ts";
import { cutoffsInKv } from "../support/status.ts";

/**
 * The registry is the one writer of keys: changes made at once, through both edge-token
 * Workers (this runner, location A, and env.EDGE_TOKEN, location B), are each one transaction
 * against the current record, and the KV copy ends in the registry's state.
 */
afterEach(() => {
  vi.useRealTimers();
  vi.restoreAllMocks();
});

const ORIGIN = "https://auth.example";
const KEYS = "/v2/application-keys";
type Key = { id: string; client_id: string; client_secret: string };

function admin(where: "A" | "B", bearer: string, path: string, method = "GET", data?: Record<string, unknown>) {
  const init = {
    method,
    headers: { Authorization: `Bearer ${bearer}`, ...(data === undefined ? {} : { "Content-Type": "application/json" }) },
    ...(data === undefined ? {} : { body: JSON.stringify({ data: { type: "application_key", ...data } }) }),
  };
  return where === "A" ? call(path, init) : env.EDGE_TOKEN.fetch(`${ORIGIN}${path}`, init);
}

async function tokenAt(where: "A" | "B", k: Key): Promise<Response> {
  const params = { grant_type: "client_credentials", client_id: k.client_id, client_secret: k.client_secret };
  if (where === "A") return post("/oauth/access_token", params);
  return env.EDGE_TOKEN.fetch(`${ORIGIN}/oauth/access_token`, {
    method: "POST",
    headers: { "Content-Type": "application/x-www-form-urlencoded" },
    body: new URLSearchParams(params).toString(),
  });
}

const managerToken = async () => {
  const res = await tokenAt("A", await createAdmin());
  return ((await res.json()) as { access_token: string }).access_token;
};
const stored = (k: Key) => jsonIn<{ scope: string; version: number }>(env.CLIENTS, `client:${k.client_id}`);
const trail = async (bearer: string, id: string) =>
  ((await (await admin("A", bearer, `${KEYS}/audit?filter[key_id]=${id}&page[limit]=100`)).json()) as { data: { action: string }[] }).data;

describe("concurrent changes, one writer", () => {
  it("renames racing a narrowing: every rename lands, none restores the scope the narrowing took", async () => {
    const bearer = await managerToken();
    const key = await createApplicationKey("raced", { scope: "read write" });
    const renames = Array.from({ length: 8 }, (_, i) =>
      admin(i % 2 ? "A" : "B", bearer, `${KEYS}/${key.id}`, "PUT", { name: `name ${i}` }),
    );
    const narrowing = admin("B", bearer, `${KEYS}/${key.id}`, "PUT", { scope: "read" });
    const statuses = await Promise.all([...renames, narrowing].map(async (r) => (await r).status));
    expect(statuses).toStrictEqual(Array(9).fill(200));

    const got = ((await (await admin("A", bearer, `${KEYS}/${key.id}`)).json()) as { data: { scope: string; name: string } }).data;
    expect(got.scope).toBe("read");
    expect((await stored(key))?.scope).toBe("read");
    expect((await stored(key))?.version).toBe(10);
    const actions = (await trail(bearer, key.id)).map((e) => e.action);
    expect([actions[0], actions.filter((a) => a === "rename").length, actions.filter((a) => a === "update").length]).toStrictEqual([
      "create",
      8,
      1,
    ]);
  });

  it("a delete racing renames: the key ends deleted, in the registry and in KV, and every later rename is a 404", async () => {
    const bearer = await managerToken();
    const key = await createApplicationKey("doomed");
    const renames = Array.from({ length: 6 }, (_, i) => admin(i % 2 ? "A" : "B", bearer, `${KEYS}/${key.id}`, "PUT", { name: `r${i}` }));
    const deletion = admin("A", bearer, `${KEYS}/${key.id}`, "DELETE");
    const [deleted, ...renamed] = await Promise.all([deletion, ...renames].map(async (r) => (await r).status));
    expect(deleted).toBe(204);
    expect(renamed.every((s) => s === 200 || s === 404)).toBe(true);
    expect((await admin("A", bearer, `${KEYS}/${key.id}`, "PUT", { name: "too late" })).status).toBe(404);
    expect(await stored(key)).toBeNull();
    expect(await jsonIn(env.CLIENTS, `deleted:${key.client_id}`)).toMatchObject({ id: key.id });
    expect((await cutoffsInKv())?.clients[key.client_id]).toStrictEqual({ v: ALL_VERSIONS, t: ALL_TOKENS });
    expect((await tokenAt("A", key)).status).toBe(401);
    expect((await tokenAt("B", key)).status).toBe(401);
    const actions = (await trail(bearer, key.id)).map((e) => e.action);
    expect(actions.at(-1)).toBe("delete");
    expect(actions.filter((a) => a === "rename").length).toBe(renamed.filter((s) => s === 200).length);
  });

  it("keys created at once are all distinct, all listed, and the total is exact at every moment", async () => {
    const bearer = await managerToken();
    const before = ((await (await admin("A", bearer, KEYS)).json()) as { meta: { results: { total: number } } }).meta.results.total;
    const made = await Promise.all(
      Array.from({ length: 20 }, async (_, i) => {
        const res = await admin(i % 2 ? "A" : "B", bearer, KEYS, "POST", { name: `burst ${i}` });
        expect(res.status).toBe(201);
        return ((await res.json()) as { data: Key }).data;
      }),
    );
    expect(new Set(made.map((k) => k.id)).size).toBe(20);
    expect(new Set(made.map((k) => k.client_id)).size).toBe(20);
    const list = (await (await admin("B", bearer, `${KEYS}?page[limit]=100`)).json()) as {
      data: Key[];
      meta: { results: { total: number } };
    };
    expect(list.meta.results.total).toBe(before + 20);
    expect(list.data.map((k) => k.id)).toEqual(expect.arrayContaining(made.map((k) => k.id)));
    // listed at once, gone at once: no KV listing to wait for
    expect((await admin("A", bearer, `${KEYS}/${made[0]!.id}`, "DELETE")).status).toBe(204);
    const after = (await (await admin("B", bearer, `${KEYS}?page[limit]=100`)).json()) as {
      data: Key[];
      meta: { results: { total: number } };
    };
    expect([after.meta.results.total, after.data.some((k) => k.id === made[0]!.id)]).toStrictEqual([before + 19, false]);
  });

  it("tokens requested while a key is narrowed: none with the old scope passes afterwards", async () => {
    const bearer = await managerToken();
    const key = await createApplicationKey("busy", { scope: "read write" });
    const requests = Array.from({ length: 12 }, (_, i) => tokenAt(i % 2 ? "A" : "B", key));
    const narrowing = admin("A", bearer, `${KEYS}/${key.id}`, "PUT", { scope: "read" });
    const responses = await Promise.all([...requests, narrowing]);
    expect(responses.at(-1)!.status).toBe(200);
    const rpc = new TokenVerifier(createExecutionContext(), env);
    for (const res of responses.slice(0, -1)) {
      expect([200, 503]).toContain(res.status);
      if (res.status !== 200) continue;
      const token = ((await res.json()) as { access_token: string }).access_token;
      if (claimsOf(token).scope.includes("write"))
        expect(await rpc.verify(token, { method: "POST" })).toMatchObject({ valid: false, error: "revoked" });
    }
  });

  it("a deletion revokes every token of the key whatever its iat, for good, and leaves a permanent tombstone", async () => {
    const bearer = await managerToken();
    const key = await createApplicationKey("stale copies");
    const now = nowSeconds();
    expect((await admin("A", bearer, `${KEYS}/${key.id}`, "DELETE")).status).toBe(204);
    expect((await env.CLIENTS.list({ prefix: `deleted:${key.client_id}` })).keys).toStrictEqual([{ name: `deleted:${key.client_id}` }]);
    expect((await cutoffsInKv())?.clients[key.client_id]).toStrictEqual({ v: ALL_VERSIONS, t: ALL_TOKENS });
    // Tokens minted from a stale copy of the record, however late, do not verify.
    const verifier = new TokenVerifier(createExecutionContext(), env);
    vi.useFakeTimers({ toFake: ["Date"] });
    for (const later of [-60, 0, 121, 3600, 86_400]) {
      vi.setSystemTime((now + later) * 1000);
      const { token } = await issueAt(key, now + later);
      expect([later, await verifier.verify(token, { method: "GET" })]).toStrictEqual([
        later,
        { valid: false, status: 401, error: "revoked" },
      ]);
    }
  });
});

describe("global issuance quotas", () => {
  it("never grants more tokens than the quota across two Workers issuing at once; the rest are 429 with Retry-After", async () => {
    const key = await createApplicationKey("quota", { token_quota: { per_hour: 25 } });
    const responses = await Promise.all(Array.from({ length: 60 }, (_, i) => tokenAt(i % 2 ? "A" : "B", key)));
    const issued = responses.filter((r) => r.status === 200).length;
    // A lease is at most a hundredth of what is left: a quota this small is leased one token at
    // a time, so none is lost in a lease.
    expect(issued).toBe(25);
    for (const res of responses.filter((r) => r.status !== 200)) {
      expect(res.status).toBe(429);
      expect(Number(res.headers.get("Retry-After"))).toBeGreaterThan(0);
      expect(((await res.json()) as { errors: { code: string }[] }).errors[0]!.code).toBe("rate_limited");
    }
    // Whatever the Workers still hold in their leases, the next hour starts over.
    vi.useFakeTimers({ toFake: ["Date"] });
    vi.setSystemTime(Date.now() + 3_600_000);
    expect((await tokenAt("A", key)).status).toBe(200);
  });

  it("requests at once in one isolate share one lease request: no lease is taken and dropped", async () => {
    const key = await createApplicationKey("busy metered", { token_quota: { per_day: 10_000 } });
    const ledger = vi.spyOn(env.CLIENT_LEDGER, "getByName");
    const responses = await Promise.all(Array.from({ length: 30 }, () => tokenAt("A", key)));
    expect(responses.map((r) => r.status)).toStrictEqual(Array(30).fill(200));
    // A lease of a hundredth of 10,000: the 30 requests are one ledger request.
    expect(ledger).toHaveBeenCalledTimes(1);
  });

  // Each of these is a request of its own in the other Worker: a request that waits for another
  // request's lease must go on in its own context (a shared promise answered 500s under load).
  it("hundreds of requests at once, each its own request, all get tokens while leases run out and are renewed", async () => {
    const key = await createApplicationKey("burst metered", { token_quota: { per_day: 1_000_000 } });
    const responses = await Promise.all(Array.from({ length: 250 }, () => tokenAt("B", key)));
    const statuses = responses.map((r) => r.status);
    await Promise.all(responses.map((r) => r.arrayBuffer()));
    expect(statuses.filter((s) => s !== 200)).toStrictEqual([]);
  });

  it("a key without a quota never asks its ledger", async () => {
    const key = await createApplicationKey("unlimited");
    const ledger = vi.spyOn(env.CLIENT_LEDGER, "getByName");
    for (let i = 0; i < 5; i++) expect((await tokenAt("A", key)).status).toBe(200);
    expect(ledger).not.toHaveBeenCalled();
  });
});
