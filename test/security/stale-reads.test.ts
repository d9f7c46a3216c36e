import { createExecutionContext } from "cloudflare:test";
import { env } from "cloudflare:workers";
import { describe, expect, it } from "vitest";
import { TokenVerifier } from "../../src/index.ts";
import { call, claimsOf, createAdmin, createApplicationKey, ORIGIN } from "../support/helpers.ts";
import { jsonIn } from "../support/kv-values.ts";
import { adminAt, type Key, lagAtB, recordKeys, tokenAt } from "../support/locations.ts";
import { cutoffsInKv } from "../support/status.ts";

/**
 * Three ways a stale read used to undo a key-management change, each played out between two
 * locations: this test runner's Worker (location A, with its isolate caches) and a second
 * edge-token Worker (env.EDGE_TOKEN, location B, test/support/second-location.ts) whose KV reads
 * of chosen keys lag behind, as a location's KV cache does for up to a minute.
 */
/** B reads the key's record and the cut-offs as they are now. */
const lagKeyAtB = (k: Key) => lagAtB({ CLIENTS: recordKeys(k), REVOCATIONS: ["cutoffs"] });
const tokenAtA = (k: Key) => tokenAt("A", k);
const tokenAtB = (k: Key) => tokenAt("B", k);

/** Whether a token passes at location A, for a read or for a write. */
async function passesAtA(token: string, method: "GET" | "POST"): Promise<boolean> {
  return (await new TokenVerifier(createExecutionContext(), env).verify(token, { method })).valid;
}

/** Whether location B's introspection endpoint, which learns revocations from KV, calls the token active. */
async function activeAtB(token: string): Promise<boolean> {
  const inspector = await createApplicationKey("inspector");
  const res = await env.EDGE_TOKEN.fetch(`${ORIGIN}/oauth/introspect`, {
    method: "POST",
    headers: { "Content-Type": "application/x-www-form-urlencoded" },
    body: new URLSearchParams({ token, client_id: inspector.client_id, client_secret: inspector.client_secret }).toString(),
  });
  return ((await res.json()) as { active: boolean }).active;
}

const aSecond = () => new Promise((r) => setTimeout(r, 1100));

describe("a stale read cannot undo a key-management change", () => {
  it("a narrowing PUT from a stale location after a delete cannot lift the deleted key's permanent revocation", async () => {
    const admin = (await tokenAtA(await createAdmin())).token;
    const key = await createApplicationKey("doomed");
    await lagKeyAtB(key); // B still sees the key alive

    expect((await adminAt("A", admin, `/v2/application-keys/${key.id}`, "DELETE")).status).toBe(204);
    // B, reading its stale copy, narrows the deleted key: the registry knows it is gone.
    const narrowed = await adminAt("B", admin, `/v2/application-keys/${key.id}`, "PUT", { scope: "read" });
    expect(narrowed.status).toBe(404);

    // B's revocations catch up (its KV copy of the key's record does not): they must say "every token".
    await lagAtB({ REVOCATIONS: [] });
    await aSecond();
    // Whatever B still mints for the deleted key from its stale copy never verifies, at A
    // (which made the deletion) or anywhere that learns revocations from KV.
    expect((await cutoffsInKv())!.clients[key.client_id]).toStrictEqual({
      v: Number.MAX_SAFE_INTEGER,
      t: 253402300799,
    });
    const minted = await tokenAtB(key);
    if (minted.status === 200) expect([await passesAtA(minted.token, "GET"), await activeAtB(minted.token)]).toStrictEqual([false, false]);
  });

  it("narrowing revokes the tokens stale isolates and locations mint with the old scope afterwards", async () => {
    const admin = (await tokenAtA(await createAdmin())).token;
    const key = await createApplicationKey("narrowed", { scope: "read write" });
    expect(claimsOf((await tokenAtA(key)).token).scope).toBe("read write"); // A's isolate now caches the record
    await lagKeyAtB(key); // and B's KV serves the old record

    // The narrowing is made at B this time: A's isolate cache is not told.
    expect((await adminAt("B", admin, `/v2/application-keys/${key.id}`, "PUT", { scope: "read" })).status).toBe(200);
    await lagKeyAtB(key); // B's KV cache has not caught up with its own write either

    await aSecond();
    for (const [where, minted] of [
      ["A, its cached record", await tokenAtA(key)],
      ["B, its stale KV", await tokenAtB(key)],
    ] as const) {
      // Either the token endpoint knows (and refuses), or the token it mints with the old scope is dead.
      if (minted.status === 200 && claimsOf(minted.token).scope.includes("write")) {
        expect([where, await passesAtA(minted.token, "POST")]).toStrictEqual([where, false]);
      }
    }
  });

  it("a rename from a stale location does not restore the broader scope a narrowing took away", async () => {
    const admin = (await tokenAtA(await createAdmin())).token;
    const key = await createApplicationKey("renamed", { scope: "read write" });
    await lagKeyAtB(key); // B holds the broad record

    expect((await adminAt("A", admin, `/v2/application-keys/${key.id}`, "PUT", { scope: "read" })).status).toBe(200);
    const renamed = await adminAt("B", admin, `/v2/application-keys/${key.id}`, "PUT", { name: "renamed at B" });
    expect(renamed.status).toBe(200);
    expect(((await renamed.json()) as { data: { name: string; scope: string } }).data).toMatchObject({
      name: "renamed at B",
      scope: "read",
    });

    const got = (await (await adminAt("A", admin, `/v2/application-keys/${key.id}`, "GET")).json()) as {
      data: { name: string; scope: string };
    };
    expect(got.data).toMatchObject({ name: "renamed at B", scope: "read" });
    const stored = (await jsonIn<{ name: string; scope: string }>(env.CLIENTS, `client:${key.client_id}`))!;
    expect([stored.name, stored.scope]).toStrictEqual(["renamed at B", "read"]);
  });
});

/** A secret rotation asked for at a location: the new secret and until when the old one lives. */
async function rotateAt(where: "A" | "B", bearer: string, id: string, keepOldSeconds: number) {
  const init = {
    method: "POST",
    headers: { Authorization: `Bearer ${bearer}`, "Content-Type": "application/json" },
    body: JSON.stringify({ data: { type: "secret_rotation", attributes: { keep_old_seconds: keepOldSeconds } } }),
  };
  const path = `/v2/application-keys/${id}/secret`;
  const res = where === "A" ? await call(path, init) : await env.EDGE_TOKEN.fetch(`${ORIGIN}${path}`, init);
  expect(res.status).toBe(200);
  return ((await res.json()) as { data: { client_secret: string; previous_secret_expires_at?: string } }).data;
}

const until = (ms: number) => new Promise((r) => setTimeout(r, Math.max(0, ms - Date.now())));
const withSecret = (k: Key, client_secret: string): Key => ({ ...k, client_secret });
const statusAt = async (where: "A" | "B", k: Key) => (await tokenAt(where, k)).status;

describe("a secret rotation at a location whose KV lags", () => {
  it("a rotated-out secret stops at its time where KV still serves the record that names it: a second rotation ends it there by then at the latest", async () => {
    const admin = (await tokenAtA(await createAdmin())).token;
    const key = await createApplicationKey("rolling");
    const first = await rotateAt("A", admin, key.id, 6);
    const s1 = withSecret(key, first.client_secret);
    await lagKeyAtB(key); // B's KV (the record and the cut-offs) stays as the first rotation left it
    const second = await rotateAt("A", admin, key.id, 3600);
    const s2 = withSecret(key, second.client_secret);

    // Where the second rotation was made, the oldest secret is gone at once.
    expect([await statusAt("A", key), await statusAt("A", s1), await statusAt("A", s2)]).toStrictEqual([401, 200, 200]);
    // B still has the first rotation's record: the oldest secret until its own time, and not yet the newest.
    expect(Date.now()).toBeLessThan(Date.parse(first.previous_secret_expires_at!));
    expect([await statusAt("B", key), await statusAt("B", s1), await statusAt("B", s2)]).toStrictEqual([200, 200, 401]);
    // At that time B stops taking it, its KV as stale as before.
    await until(Date.parse(first.previous_secret_expires_at!) + 100);
    expect([await statusAt("B", key), await statusAt("B", s1)]).toStrictEqual([401, 200]);
    // Once the record arrives, B has what A has.
    await lagAtB({ CLIENTS: [], REVOCATIONS: [] });
    expect([await statusAt("B", key), await statusAt("B", s1), await statusAt("B", s2)]).toStrictEqual([401, 200, 200]);
  });

  it("at once (a leaked secret): a lagging location takes the old secret until the new record arrives, and every token it mints then is refused", async () => {
    const admin = (await tokenAtA(await createAdmin())).token;
    const key = await createApplicationKey("leaked");
    const before = (await tokenAtB(key)).token;
    await lagKeyAtB(key); // B's KV still has the record (and the cut-offs) from before the rotation

    const rotated = await rotateAt("A", admin, key.id, 0);
    const fresh = withSecret(key, rotated.client_secret);
    expect([await statusAt("A", key), await statusAt("A", fresh)]).toStrictEqual([401, 200]);
    // The documented window: B's stale record still calls the old secret its own and mints with it...
    const minted = await tokenAtB(key);
    expect(minted.status).toBe(200);
    // ...tokens the cut-offs refuse, wherever they have arrived: at A at once, at B when its copy has them.
    expect([await passesAtA(before, "GET"), await passesAtA(minted.token, "GET")]).toStrictEqual([false, false]);
    await lagAtB({ REVOCATIONS: [] });
    await aSecond();
    expect([await activeAtB(before), await activeAtB(minted.token)]).toStrictEqual([false, false]);
    // The record arrives: the old secret is refused there too, the new one takes over.
    await lagAtB({ CLIENTS: [] });
    expect([await statusAt("B", key), await statusAt("B", fresh)]).toStrictEqual([401, 200]);
    expect(await activeAtB((await tokenAtB(fresh)).token)).toBe(true);
  });

  it("an overlap shorter than the record takes to arrive: a lagging location takes the old secret until the record arrives (the documented window)", async () => {
    const admin = (await tokenAtA(await createAdmin())).token;
    const key = await createApplicationKey("short overlap");
    await lagKeyAtB(key); // B has only the record from before the rotation: the old secret is its current one
    const rotated = await rotateAt("A", admin, key.id, 1);
    await until(Date.parse(rotated.previous_secret_expires_at!) + 100);
    expect([await statusAt("A", key), await statusAt("B", key)]).toStrictEqual([401, 200]);
    await lagAtB({ CLIENTS: [], REVOCATIONS: [] });
    expect([await statusAt("B", key), await statusAt("B", withSecret(key, rotated.client_secret))]).toStrictEqual([401, 200]);
  });
});
