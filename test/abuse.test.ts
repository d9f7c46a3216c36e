import { env } from "cloudflare:workers";
import { describe, expect, it } from "vitest";
import { createClient, error, faulty, post, randomIp, tokenFor } from "./helpers.ts";

const TOKEN = "/oauth/access_token";
const LOCKED = error(429, "Too Many Requests", "rate_limited", "Too many failed authentication attempts; try again later.");
const FAILED = error(401, "Unauthorized", "invalid_client", "Client authentication failed.");

// wrangler.toml: 10 failures a minute per client_id, 30 per IP; lockout 60 s.

/**
 * The counters' windows are aligned to the wall clock (a fixed minute). A burst that straddled
 * a boundary would be counted in two windows, so each burst starts well inside one.
 */
async function freshWindow(seconds = 8) {
  const into = (Date.now() / 1000) % 60;
  if (into > 60 - seconds) await new Promise((r) => setTimeout(r, (60 - into + 0.2) * 1000));
}
const from = (ip: string) => ({ "CF-Connecting-IP": ip });
const cc = (c: { client_id: string; client_secret: string }, secret = c.client_secret) => ({
  grant_type: "client_credentials",
  client_id: c.client_id,
  client_secret: secret,
});

describe("brute-force protection", () => {
  it("locks a client_id after 10 failures; then even the right secret gets 429, other clients are unaffected", async () => {
    const victim = await createClient("victim");
    const other = await createClient("other");
    const attacker = randomIp();
    await freshWindow();
    for (let i = 1; i <= 10; i++) {
      const res = await post(TOKEN, cc(victim, `guess-${i}`), from(attacker));
      expect([i, res.status]).toStrictEqual([i, 401]);
    }
    const over = await post(TOKEN, cc(victim, "guess-11"), from(attacker));
    expect(over.status).toBe(429);
    expect(over.headers.get("Retry-After")).toBe("60");
    expect(over.headers.get("Cache-Control")).toBe("no-store");
    expect(await over.json()).toStrictEqual(LOCKED);

    // the correct secret, from anywhere, is refused while the client_id is locked
    for (const ip of [attacker, randomIp()]) {
      const right = await post(TOKEN, cc(victim), from(ip));
      expect(right.status).toBe(429);
      expect(Number(right.headers.get("Retry-After"))).toBeGreaterThan(0);
    }
    // another client, even from the attacker's address, still gets tokens
    expect((await post(TOKEN, cc(other), from(attacker))).status).toBe(200);
    expect((await post(TOKEN, cc(other), from(randomIp()))).status).toBe(200);
    // the lock is also in KV, for the other isolates
    expect(Number(await env.CLIENTS.get(`lock:client:${victim.client_id}`))).toBeGreaterThan(Date.now() / 1000);
  });

  it("locks an IP after 30 failures across many client_ids", async () => {
    const bystander = await createClient("bystander");
    const sprayer = randomIp();
    await freshWindow();
    for (let i = 1; i <= 30; i++) {
      const res = await post(TOKEN, { grant_type: "client_credentials", client_id: `${i}`.padStart(40, "0"), client_secret: "x" }, from(sprayer));
      expect([i, res.status]).toStrictEqual([i, 401]);
    }
    expect((await post(TOKEN, { grant_type: "implicit", client_id: "f".repeat(40) }, from(sprayer))).status).toBe(429);
    // nothing from that address gets through now, not even a valid client
    expect((await post(TOKEN, cc(bystander), from(sprayer))).status).toBe(429);
    // the same client from elsewhere is fine
    expect((await post(TOKEN, cc(bystander), from(randomIp()))).status).toBe(200);
  });

  it("counts failures at the revocation and introspection endpoints too", async () => {
    const client = await createClient();
    const token = await tokenFor(client);
    const ip = randomIp();
    await freshWindow();
    for (let i = 1; i <= 5; i++) {
      expect((await post("/oauth/introspect", { token, ...cc(client, "wrong") }, from(ip))).status).toBe(401);
      expect((await post("/oauth/revoke", { token, ...cc(client, "wrong") }, from(ip))).status).toBe(401);
    }
    // 10 failures: at the limit, not over it; the right secret still works
    expect((await post("/oauth/introspect", { token, ...cc(client) }, from(randomIp()))).status).toBe(200);
    expect((await post("/oauth/introspect", { token, ...cc(client, "wrong") }, from(ip))).status).toBe(429);
    expect((await post("/oauth/revoke", { token, ...cc(client) }, from(randomIp()))).status).toBe(429);
  });

  it("never limits successful issuance by default", async () => {
    const client = await createClient();
    const ip = randomIp();
    const statuses = await Promise.all(Array.from({ length: 100 }, () => post(TOKEN, cc(client), from(ip)).then((r) => r.status)));
    expect(new Set(statuses)).toStrictEqual(new Set([200]));
  });

  it("limits successful issuance per client when LIMIT_ISSUANCE is true", async () => {
    const client = await createClient();
    const limited = { LIMIT_ISSUANCE: "true" };
    await freshWindow(20);
    const statuses: number[] = [];
    for (let i = 0; i < 601; i++) statuses.push((await post(TOKEN, cc(client), from(randomIp()), limited)).status);
    expect(statuses.slice(0, 600).every((s) => s === 200)).toBe(true);
    const last = await post(TOKEN, cc(client), from(randomIp()), limited);
    expect(last.status).toBe(429);
    expect(await last.json()).toStrictEqual(
      error(429, "Too Many Requests", "rate_limited", "Too many tokens were requested for this client; try again later."),
    );
    // another client is not affected
    expect((await post(TOKEN, cc(await createClient()), {}, limited)).status).toBe(200);
  });

  it("answers 429 even when KV refuses to store the lock", async () => {
    const client = await createClient();
    const refusing = faulty(env.CLIENTS, ["put"], new Error("KV PUT failed: 429 Too Many Requests"), (k) => String(k).startsWith("lock:"));
    const ip = randomIp();
    await freshWindow();
    for (let i = 1; i <= 10; i++) expect((await post(TOKEN, cc(client, "wrong"), from(ip), { CLIENTS: refusing })).status).toBe(401);
    expect((await post(TOKEN, cc(client, "wrong"), from(ip), { CLIENTS: refusing })).status).toBe(429);
    expect((await post(TOKEN, cc(client), from(ip), { CLIENTS: refusing })).status).toBe(429); // held in this isolate
  });

  it("honours a lock written by another isolate (read from KV)", async () => {
    const client = await createClient();
    await env.CLIENTS.put(`lock:client:${client.client_id}`, String(Math.floor(Date.now() / 1000) + 120), { expirationTtl: 120 });
    const res = await post(TOKEN, cc(client));
    expect(res.status).toBe(429);
    expect(Number(res.headers.get("Retry-After"))).toBeGreaterThan(100);
    await env.CLIENTS.put(`lock:ip:192.0.2.7`, String(Math.floor(Date.now() / 1000) + 120), { expirationTtl: 120 });
    expect((await post(TOKEN, cc(await createClient()), from("192.0.2.7"))).status).toBe(429);
  });
});
