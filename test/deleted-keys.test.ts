import { createExecutionContext } from "cloudflare:test";
import { env } from "cloudflare:workers";
import { describe, expect, it, vi } from "vitest";
import { TokenVerifier } from "../src/index.ts";
import { createAppKey, deleteAppKey, getAppKey, type Kv, listAppKeys, updateAppKey } from "../src/store/application-key-store.ts";
import { issueAt, nowSeconds, post } from "./helpers.ts";

/**
 * A deleted key stays dead. KV has no conditional write: a rename reads the record, then writes
 * it back whole, and a delete that lands in between (or a KV location that still serves the old
 * record) would otherwise be undone by that write.
 */

type Creds = { id: string; client_id: string; client_secret: string };
const PLAIN = { scope: "read write", grant_types: ["client_credentials", "implicit"], created_by: "test" };
const ADMIN = { ...PLAIN, scope: "read write application_keys" };

const rename = async (kv: Kv, id: string, name: string) => (await updateAppKey(kv, id, { name }))?.record ?? null;

async function newKey(name = "racy"): Promise<Creds> {
  const { record, clientSecret } = await createAppKey(env.CLIENTS, { name, ...(name === "operator" ? ADMIN : PLAIN) });
  return { id: record.id, client_id: record.client_id, client_secret: clientSecret };
}

/** CLIENTS, with `before` run just before the rename writes the record back. */
function interleaved(before: () => Promise<unknown>): Kv {
  const kv = env.CLIENTS as unknown as Kv;
  return {
    get: kv.get.bind(kv),
    list: kv.list.bind(kv),
    delete: kv.delete.bind(kv),
    async put(key, value, options) {
      if (key.startsWith("client:")) await before();
      return kv.put(key, value, options);
    },
  } as Kv;
}

const cc = (k: Creds) => ({ grant_type: "client_credentials", client_id: k.client_id, client_secret: k.client_secret });

async function adminTokenThere(): Promise<string> {
  const operator = await newKey("operator");
  const res = await env.EDGE_TOKEN.fetch("https://auth.example/oauth/access_token", {
    method: "POST",
    headers: { "Content-Type": "application/x-www-form-urlencoded" },
    body: new URLSearchParams(cc(operator)).toString(),
  });
  return ((await res.json()) as { access_token: string }).access_token;
}

async function issueThere(k: Creds): Promise<number> {
  const res = await env.EDGE_TOKEN.fetch("https://auth.example/oauth/access_token", {
    method: "POST",
    headers: { "Content-Type": "application/x-www-form-urlencoded", "CF-Connecting-IP": "192.0.2.50" },
    body: new URLSearchParams(cc(k)).toString(),
  });
  return res.status;
}

async function expectDead(k: Creds) {
  expect((await post("/oauth/access_token", cc(k))).status).toBe(401);
  expect((await post("/oauth/access_token", { grant_type: "implicit", client_id: k.client_id })).status).toBe(401);
  expect(await getAppKey(env.CLIENTS, k.id)).toBeNull();
  expect(await deleteAppKey(env.CLIENTS, env.REVOCATIONS, k.id)).toBeNull();
  const { records } = await listAppKeys(env.CLIENTS, 100, 0);
  expect(records.map((r) => r.client_id)).not.toContain(k.client_id);
}

describe("a deleted key stays dead", () => {
  it("a rename whose write lands after a delete does not bring the key back", async () => {
    const key = await newKey();
    const renamed = await rename(
      interleaved(() => deleteAppKey(env.CLIENTS, env.REVOCATIONS, key.id)),
      key.id,
      "renamed too late",
    );
    expect(renamed).toBeNull(); // the rename sees it lost, and says so: 404
    await expectDead(key);
  });

  it("the same race across two isolates: delete through the other Worker, then neither authenticates the key", async () => {
    const key = await newKey();
    expect(await issueThere(key)).toBe(200);
    const admin = await adminTokenThere();
    await rename(
      interleaved(async () => {
        const res = await env.EDGE_TOKEN.fetch(`https://auth.example/v2/application-keys/${key.id}`, {
          method: "DELETE",
          headers: { Authorization: `Bearer ${admin}` },
        });
        expect(res.status).toBe(204);
      }),
      key.id,
      "renamed elsewhere",
    );
    expect(await issueThere(key)).toBe(401);
    await expectDead(key);
  });

  it("a record written back after the delete, by hand or by a stale location, still does not authenticate", async () => {
    const key = await newKey();
    const stored = await env.CLIENTS.get(`client:${key.client_id}`);
    expect(await deleteAppKey(env.CLIENTS, env.REVOCATIONS, key.id)).not.toBeNull();
    await env.CLIENTS.put(`client:${key.client_id}`, stored!);
    await env.CLIENTS.put(`appkey:${key.id}`, key.client_id, { metadata: { client_id: key.client_id } });
    expect((await post("/oauth/access_token", cc(key))).status).toBe(401);
    expect(await getAppKey(env.CLIENTS, key.id)).toBeNull();
    expect(await rename(env.CLIENTS, key.id, "zombie")).toBeNull();
  });

  it("writes a permanent tombstone, and revokes every token of the key whatever its iat", async () => {
    const key = await newKey();
    const now = nowSeconds();
    expect(await deleteAppKey(env.CLIENTS, env.REVOCATIONS, key.id)).not.toBeNull();
    const { keys: tombstones } = await env.CLIENTS.list({ prefix: `deleted:${key.client_id}` });
    expect(tombstones).toStrictEqual([{ name: `deleted:${key.client_id}` }]); // no expiration
    // Tokens minted from a stale copy of the record, however late, do not verify.
    const verifier = new TokenVerifier(createExecutionContext(), env);
    vi.useFakeTimers({ toFake: ["Date"] });
    try {
      for (const later of [-60, 0, 121, 3600, 86_400]) {
        vi.setSystemTime((now + later) * 1000);
        const { token } = await issueAt(key, now + later);
        expect([later, await verifier.verify(token, { method: "GET" })]).toStrictEqual([
          later,
          { valid: false, status: 401, error: "revoked" },
        ]);
      }
    } finally {
      vi.useRealTimers();
    }
    const { keys: revocations } = await env.REVOCATIONS.list({ prefix: `client:${key.client_id}` });
    expect(revocations).toStrictEqual([{ name: `client:${key.client_id}` }]);
  });
});
