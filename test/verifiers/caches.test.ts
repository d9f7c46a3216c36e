import { createExecutionContext } from "cloudflare:test";
import { env } from "cloudflare:workers";
import { afterEach, describe, expect, it, vi } from "vitest";
import { TokenVerifier } from "../../src/index.ts";
import { createAdmin, createApplicationKey, post, randomIp, staleView } from "../support/helpers.ts";
import { bitInKv, cutoffsInKv, revokeAtOwner } from "../support/status.ts";

/**
 * The isolate caches (CLIENT_CACHE_SECONDS, REVOCATION_CACHE_SECONDS, default 10 s) that keep
 * KV reads off the hot path, and the guarantees that survive them.
 */
afterEach(() => {
  vi.useRealTimers();
  vi.restoreAllMocks();
});

const cc = (c: { client_id: string; client_secret: string }) => ({
  grant_type: "client_credentials",
  client_id: c.client_id,
  client_secret: c.client_secret,
});
const issue = async (c: { client_id: string; client_secret: string }, ip = randomIp()) => {
  const res = await post("/oauth/access_token", cc(c), { "CF-Connecting-IP": ip });
  return { status: res.status, token: res.status === 200 ? ((await res.json()) as { access_token: string }).access_token : "" };
};

describe("isolate caches", () => {
  it("a repeated issuance reads no KV at all", async () => {
    const client = await createApplicationKey();
    const ip = randomIp();
    expect((await issue(client, ip)).status).toBe(200);
    const get = vi.spyOn(env.CLIENTS, "get");
    expect((await issue(client, ip)).status).toBe(200);
    expect(get).not.toHaveBeenCalled();
  });

  it("a repeated check of a live token reads no KV, and a revocation made here is seen at once", async () => {
    const client = await createApplicationKey();
    const { token } = await issue(client);
    const verifier = new TokenVerifier(createExecutionContext(), env);
    expect((await verifier.verify(token)).valid).toBe(true);
    const get = vi.spyOn(env.REVOCATIONS, "get");
    expect((await verifier.verify(token)).valid).toBe(true);
    expect(get).not.toHaveBeenCalled();
    expect((await post("/oauth/revoke", { token, ...cc(client) })).status).toBe(200);
    expect(await verifier.verify(token)).toStrictEqual({ valid: false, status: 401, error: "revoked" });
  });

  it("a token never seen, of a client never seen, reads nothing: its status list and the cut-offs are held", async () => {
    const verifier = new TokenVerifier(createExecutionContext(), env);
    expect((await verifier.verify((await issue(await createApplicationKey())).token, { method: "GET" })).valid).toBe(true);
    const get = vi.spyOn(env.REVOCATIONS, "get");
    const fresh = (await issue(await createApplicationKey())).token;
    expect((await verifier.verify(fresh, { method: "GET" })).valid).toBe(true);
    expect(get).not.toHaveBeenCalled();
  });

  it("a revocation made elsewhere is seen within REVOCATION_CACHE_SECONDS", async () => {
    vi.useFakeTimers({ toFake: ["Date"] });
    const client = await createApplicationKey();
    const { token } = await issue(client);
    const verifier = new TokenVerifier(createExecutionContext(), env);
    expect((await verifier.verify(token)).valid).toBe(true);
    // as another isolate's /oauth/revoke does: through the registry, into KV, and this isolate is not told
    expect(await revokeAtOwner(token)).toStrictEqual({ revoked: true });
    expect(await bitInKv(token)).toBe(1);
    expect((await verifier.verify(token)).valid).toBe(true); // its copy of the list is still the one it had
    vi.setSystemTime(Date.now() + 10_001);
    expect(await verifier.verify(token)).toStrictEqual({ valid: false, status: 401, error: "revoked" });
  });

  it("a key deleted elsewhere: a stale copy of its record mints a token only until the cut-offs carry the deletion, and that token is dead", async () => {
    const client = await createApplicationKey("cached here");
    const ip = randomIp();
    expect(["first", (await issue(client, ip)).status]).toStrictEqual(["first", 200]);
    // What an isolate that cached the record, or a location whose KV has not caught up, still reads.
    const stalely = await staleView(env.CLIENTS, [`client:${client.client_id}`, `deleted:${client.client_id}`]);
    // The key is deleted through the other edge-token Worker.
    const operatorRes = await env.EDGE_TOKEN.fetch("https://auth.example/oauth/access_token", {
      method: "POST",
      headers: { "Content-Type": "application/x-www-form-urlencoded" },
      body: new URLSearchParams(cc(await createAdmin("operator"))).toString(),
    });
    const admin = ((await operatorRes.json()) as { access_token: string }).access_token;
    const deleted = await env.EDGE_TOKEN.fetch(`https://auth.example/v2/application-keys/${client.id}`, {
      method: "DELETE",
      headers: { Authorization: `Bearer ${admin}` },
    });
    expect(deleted.status).toBe(204);

    const res = await post("/oauth/access_token", cc(client), { "CF-Connecting-IP": ip }, { CLIENTS: stalely, CLIENT_CACHE_SECONDS: "0" });
    const stale = { status: res.status, token: res.status === 200 ? ((await res.json()) as { access_token: string }).access_token : "" };
    // Until the cut-offs reach this location, the stale record may still answer there… (or, if they are in already, not at all)
    expect(["stale", stale.status === 200 || stale.status === 401]).toStrictEqual(["stale", true]);
    const verifier = new TokenVerifier(createExecutionContext(), env);
    if (stale.status === 200) expect(await verifier.verify(stale.token)).toStrictEqual({ valid: false, status: 401, error: "revoked" }); // …but its tokens are dead
    const inspector = await createApplicationKey();
    const introspected = await post("/oauth/introspect", {
      token: stale.token,
      client_id: inspector.client_id,
      client_secret: inspector.client_secret,
    });
    if (stale.status === 200) expect(await introspected.json()).toStrictEqual({ active: false });
    // …and once they carry the deletion's record floor, the stale copy mints nothing at all.
    await vi.waitFor(async () => expect(Object.keys((await cutoffsInKv())?.records ?? {})).toContain(client.client_id), {
      timeout: 5000,
      interval: 100,
    });
    const after = await post(
      "/oauth/access_token",
      cc(client),
      { "CF-Connecting-IP": randomIp() },
      { CLIENTS: stalely, CLIENT_CACHE_SECONDS: "0" },
    );
    expect(after.status).toBe(401);
  });
});
