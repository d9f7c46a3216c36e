import { runDurableObjectAlarm, runInDurableObject } from "cloudflare:test";
import { env } from "cloudflare:workers";
import { afterEach, describe, expect, it, vi } from "vitest";
import type { Env } from "../../src/config/settings.ts";
import { KV_DOCUMENT_LIFETIME_SECONDS, KV_RECORD_LIFETIME_SECONDS } from "../../src/lib/limits.ts";
import { registry } from "../../src/store/registry.ts";
import { call, claimsOf, createApplicationKey, faulty, post, registryStub, tokenFor } from "../support/helpers.ts";
import { bitInKv, cutoffsInKv } from "../support/status.ts";

/**
 * A region's status object as the keeper of its status lists, and the registry as the keeper of
 * the cut-offs: how they write them to KV, lease indices, and let go of what can no longer
 * matter. Storage of its own: it moves time forward and retires lists every other suite would
 * still need. Requests here carry no continent: their region is "na".
 */
const owner = () => env.STATUS_REGIONS.getByName("na");

afterEach(async () => {
  vi.useRealTimers();
  vi.restoreAllMocks();
  await ownerEnv(env as Env);
});

const ownerEnv = (e: Env) =>
  runInDurableObject(owner(), (instance) => {
    (instance as unknown as { env: Env }).env = e;
  });

/** The real REVOCATIONS namespace, every put's key and time noted. */
function recording(kv: KVNamespace, puts: { key: string; at: number }[]): KVNamespace {
  return new Proxy(kv, {
    get: (target, op: string) =>
      op === "put"
        ? (key: string, ...rest: unknown[]) => {
            puts.push({ key, at: Date.now() });
            return (target.put as (...a: unknown[]) => Promise<void>).call(target, key, ...rest);
          }
        : (target[op as keyof KVNamespace] as (...a: unknown[]) => unknown).bind(target),
  });
}

describe("a region's status lists", () => {
  it("a lease waits for no KV write but a new list's: revocations whose list KV will not take do not stand in its way", async () => {
    const client = await createApplicationKey("leasing beside a stuck list");
    const tokens = await Promise.all(Array.from({ length: 3 }, () => tokenFor(client)));
    const listKey = `status-list:${claimsOf(tokens[0]!).status!.status_list.uri.split("/").at(-1)}`;
    // KV takes no write of that list now: each hangs until the owner's KV timeout
    await ownerEnv({
      ...env,
      KV_TIMEOUT_MS: "4000",
      REVOCATIONS: faulty(env.REVOCATIONS, ["put"], "hang", (k) => k === listKey),
    } as Env);
    const revocations = tokens.map((token) =>
      post("/oauth/revoke", { token, client_id: client.client_id, client_secret: client.client_secret }),
    );
    // Once the owner holds them (their list marked for KV), and while each still waits on its list's write…
    await vi.waitFor(
      async () => {
        const marked = await runInDurableObject(owner(), (_, state) =>
          state.storage.sql.exec("SELECT count(*) AS n FROM token_revocations WHERE client_id = ?", client.client_id).one(),
        );
        expect(marked.n).toBe(3);
      },
      { timeout: 3000, interval: 20 },
    );
    // …a lease is answered before any of them.
    const first = await Promise.race([
      owner()
        .leaseStatusIndices("na", 1, 3600)
        .then(() => "lease"),
      Promise.race(revocations).then(() => "a revocation"),
    ]);
    expect(first).toBe("lease");
    expect((await Promise.all(revocations)).map((r) => r.status)).toStrictEqual([200, 200, 200]);
  }, 40_000);

  it("a burst of revocations: KV's copy of the list written at most once a second, every bit set, each answered within about a second", async () => {
    const client = await createApplicationKey();
    const tokens = await Promise.all(Array.from({ length: 40 }, () => tokenFor(client)));
    const puts: { key: string; at: number }[] = [];
    await ownerEnv({ ...env, REVOCATIONS: recording(env.REVOCATIONS, puts) } as Env);
    const started = Date.now();
    const answers = await Promise.all(
      tokens.map(async (token) => {
        const res = await post("/oauth/revoke", { token, client_id: client.client_id, client_secret: client.client_secret });
        return [res.status, Date.now() - started] as const;
      }),
    );
    expect(answers.filter(([status]) => status !== 200)).toStrictEqual([]);
    const listKey = `status-list:${claimsOf(tokens[0]!).status!.status_list.uri.split("/").at(-1)}`;
    const listPuts = puts.filter((p) => p.key === listKey).map((p) => p.at);
    expect(listPuts.length).toBeGreaterThan(0);
    expect(listPuts.length).toBeLessThanOrEqual(Math.ceil((Date.now() - started) / 1000) + 1);
    for (let i = 1; i < listPuts.length; i++) expect(listPuts[i]! - listPuts[i - 1]!).toBeGreaterThanOrEqual(1000);
    expect(Math.max(...answers.map(([, ms]) => ms))).toBeLessThan(2500);
    for (const token of tokens) expect(await bitInKv(token)).toBe(1);
  });

  it("a steady stream of revocations to one list: each answered with the next write that carries it, none queued behind the others' writes", async () => {
    const client = await createApplicationKey("revoking steadily");
    const tokens = await Promise.all(Array.from({ length: 16 }, () => tokenFor(client)));
    const took: number[] = [];
    await Promise.all(
      tokens.map(async (token, i) => {
        await new Promise((r) => setTimeout(r, i * 250)); // four a second, for four seconds
        const started = Date.now();
        const res = await post("/oauth/revoke", { token, client_id: client.client_id, client_secret: client.client_secret });
        expect(res.status).toBe(200);
        took.push(Date.now() - started);
      }),
    );
    // one write a second carries every revocation made before it: none waits much more than two
    expect(Math.max(...took)).toBeLessThan(2500);
    for (const token of tokens) expect(await bitInKv(token)).toBe(1);
  });

  it("drops a list, from the registry and from KV, once every token that names it has expired", async () => {
    const client = await createApplicationKey();
    const token = await tokenFor(client);
    const { uri } = claimsOf(token).status!.status_list;
    const listKey = `status-list:${uri.split("/").at(-1)}`;
    expect(await env.REVOCATIONS.get(listKey)).not.toBeNull();
    vi.useFakeTimers({ toFake: ["Date"] });
    // its window (1 h) + the longest token leased from it (1 h) + the clock skew, and a little
    vi.setSystemTime(Date.now() + (3600 + 3600 + 30 + 5) * 1000);
    await runDurableObjectAlarm(owner());
    await runInDurableObject(owner(), async (instance) => {
      // the alarm may have been set for later than the jump: run the retirement as it would then
      await (instance as unknown as { alarm(): Promise<void> }).alarm();
    });
    expect(await env.REVOCATIONS.get(listKey)).toBeNull();
    const aggregated = (await (await call("/oauth/status-lists")).json()) as { status_lists: string[] };
    expect(aggregated.status_lists).not.toContain(uri);
    expect((await call(new URL(uri).pathname)).status).toBe(404);
  });

  it("leases from the next list once a list's hour is over; that list was in KV before its first token", async () => {
    const client = await createApplicationKey();
    const first = claimsOf(await tokenFor(client)).status!.status_list.uri;
    const lists = (await (await call("/oauth/status-lists")).json()) as { status_lists: string[] };
    const number = (uri: string) => Number(uri.split("/").at(-1));
    expect(first).toMatch(/\/oauth\/status-lists\/4\d{8}$/); // North America's: the requests here carry no continent
    const next = lists.status_lists.find((u) => number(u) > number(first) && number(u) < 500_000_000)!;
    expect(next).toBeDefined(); // made one ahead, already in KV
    vi.useFakeTimers({ toFake: ["Date"] });
    vi.setSystemTime(Date.now() + 3600 * 1000);
    const later = claimsOf(await tokenFor(client)).status!.status_list.uri;
    expect(later).toBe(next);
  });

  it("the cut-offs drop a client once no token its cut-off revokes can still pass anywhere", async () => {
    const client = await createApplicationKey();
    expect((await registry(env).update({ kind: "operator", actor: "test" }, client.id, { scope: "read" })).ok).toBe(true);
    expect((await cutoffsInKv())!.clients[client.client_id]).toBeDefined();
    vi.useFakeTimers({ toFake: ["Date"] });
    const alarm = () =>
      runInDurableObject(registryStub(), async (instance) => {
        await (instance as unknown as { alarm(): Promise<void> }).alarm();
      });
    // KV propagation and the record cache (70 s) + a week (a copy of the old record put back in KV
    // lapses) + the longest token lifetime (24 h) + the skew: kept until just then...
    const keep = 70 + KV_RECORD_LIFETIME_SECONDS + 86_400 + 30;
    vi.setSystemTime(Date.now() + (keep - 60) * 1000);
    await alarm();
    expect((await cutoffsInKv())!.clients[client.client_id]).toBeDefined();
    // ...and dropped after, by the next write of the cut-offs: at the latest when its copy in KV is
    // halfway through its lifetime and written again.
    vi.setSystemTime(Date.now() + (65 + KV_DOCUMENT_LIFETIME_SECONDS / 2) * 1000);
    await alarm();
    expect((await cutoffsInKv())!.clients[client.client_id]).toBeUndefined();
  });
});
