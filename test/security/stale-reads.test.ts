import { createExecutionContext } from "cloudflare:test";
import { env } from "cloudflare:workers";
import { describe, expect, it } from "vitest";
import { TokenVerifier } from "../../src/index.ts";
import { call, claimsOf, createAdmin, createApplicationKey, post } from "../support/helpers.ts";

/**
 * Three ways a stale read used to undo a key-management change, each played out between two
 * locations: this test runner's Worker (location A, with its isolate caches) and a second
 * edge-token Worker (env.EDGE_TOKEN, location B, test/support/second-location.ts) whose KV reads
 * of chosen keys lag behind, as a location's KV cache does for up to a minute.
 */
const ORIGIN = "https://auth.example";
type Key = { id: string; client_id: string; client_secret: string };

/** Freezes what location B reads for these keys: their values as of now. */
async function lagAtB(k: Key) {
  const res = await env.EDGE_TOKEN.fetch(`${ORIGIN}/__lag`, {
    method: "POST",
    body: JSON.stringify({
      CLIENTS: [`client:${k.client_id}`, `deleted:${k.client_id}`, `appkey:${k.id}`],
      REVOCATIONS: [`client:${k.client_id}`],
    }),
  });
  expect(res.status).toBe(204);
}

const form = (p: Record<string, string>) => ({
  method: "POST",
  headers: { "Content-Type": "application/x-www-form-urlencoded" },
  body: new URLSearchParams(p).toString(),
});
const cc = (k: Key) => ({ grant_type: "client_credentials", client_id: k.client_id, client_secret: k.client_secret });

async function tokenAtB(k: Key, extra: Record<string, string> = {}): Promise<{ status: number; token: string }> {
  const res = await env.EDGE_TOKEN.fetch(`${ORIGIN}/oauth/access_token`, form({ ...cc(k), ...extra }));
  return { status: res.status, token: res.status === 200 ? ((await res.json()) as { access_token: string }).access_token : "" };
}

async function tokenAtA(k: Key, extra: Record<string, string> = {}): Promise<{ status: number; token: string }> {
  const res = await post("/oauth/access_token", { ...cc(k), ...extra });
  return { status: res.status, token: res.status === 200 ? ((await res.json()) as { access_token: string }).access_token : "" };
}

function adminAt(where: "A" | "B", bearer: string, path: string, method: string, body?: unknown) {
  const init = {
    method,
    headers: { Authorization: `Bearer ${bearer}`, ...(body === undefined ? {} : { "Content-Type": "application/json" }) },
    ...(body === undefined ? {} : { body: JSON.stringify({ data: { type: "application_key", ...body } }) }),
  };
  return where === "A" ? call(path, init) : env.EDGE_TOKEN.fetch(`${ORIGIN}${path}`, init);
}

/** Whether a token passes at location A, for a read or for a write. */
async function passesAtA(token: string, method: "GET" | "POST"): Promise<boolean> {
  return (await new TokenVerifier(createExecutionContext(), env).verify(token, { method })).valid;
}

/** Whether location B's introspection endpoint, which learns revocations from KV, calls the token active. */
async function activeAtB(token: string): Promise<boolean> {
  const inspector = await createApplicationKey("inspector");
  const res = await env.EDGE_TOKEN.fetch(
    `${ORIGIN}/oauth/introspect`,
    form({ token, client_id: inspector.client_id, client_secret: inspector.client_secret }),
  );
  return ((await res.json()) as { active: boolean }).active;
}

const aSecond = () => new Promise((r) => setTimeout(r, 1100));

describe("a stale read cannot undo a key-management change", () => {
  it("a narrowing PUT from a stale location after a delete cannot lift the deleted key's permanent revocation", async () => {
    const admin = (await tokenAtA(await createAdmin())).token;
    const key = await createApplicationKey("doomed");
    await lagAtB(key); // B still sees the key alive

    expect((await adminAt("A", admin, `/v2/application-keys/${key.id}`, "DELETE")).status).toBe(204);
    // B, reading its stale copy, narrows the deleted key: the registry knows it is gone.
    const narrowed = await adminAt("B", admin, `/v2/application-keys/${key.id}`, "PUT", { scope: "read" });
    expect(narrowed.status).toBe(404);

    // B's revocations catch up (its KV copy of the key's record does not): they must say "every token".
    expect((await env.EDGE_TOKEN.fetch(`${ORIGIN}/__lag`, { method: "POST", body: JSON.stringify({ REVOCATIONS: [] }) })).status).toBe(204);
    await aSecond();
    // Whatever B still mints for the deleted key from its stale copy never verifies, at A
    // (which made the deletion) or anywhere that learns revocations from KV.
    expect(await env.REVOCATIONS.get(`client:${key.client_id}`)).toBe("253402300799");
    const minted = await tokenAtB(key);
    if (minted.status === 200) expect([await passesAtA(minted.token, "GET"), await activeAtB(minted.token)]).toStrictEqual([false, false]);
  });

  it("narrowing revokes the tokens stale isolates and locations mint with the old scope afterwards", async () => {
    const admin = (await tokenAtA(await createAdmin())).token;
    const key = await createApplicationKey("narrowed", { scope: "read write" });
    expect(claimsOf((await tokenAtA(key)).token).scope).toBe("read write"); // A's isolate now caches the record
    await lagAtB(key); // and B's KV serves the old record

    // The narrowing is made at B this time: A's isolate cache is not told.
    expect((await adminAt("B", admin, `/v2/application-keys/${key.id}`, "PUT", { scope: "read" })).status).toBe(200);
    await lagAtB(key); // B's KV cache has not caught up with its own write either

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
    await lagAtB(key); // B holds the broad record

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
    const stored = JSON.parse((await env.CLIENTS.get(`client:${key.client_id}`))!) as { name: string; scope: string };
    expect([stored.name, stored.scope]).toStrictEqual(["renamed at B", "read"]);
  });
});
