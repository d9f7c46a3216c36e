import { createExecutionContext } from "cloudflare:test";
import { env } from "cloudflare:workers";
import { describe, expect, it } from "vitest";
import { TokenVerifier } from "../../src/index.ts";
import { claimsOf, createAdmin, createApplicationKey, ORIGIN } from "../support/helpers.ts";
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
