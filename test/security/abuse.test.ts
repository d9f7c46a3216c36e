import { env } from "cloudflare:workers";
import { afterEach, describe, expect, it, vi } from "vitest";
import { createApplicationKey, error, inOneWindow, post, randomIp, tokenFor } from "../support/helpers.ts";

const TOKEN = "/oauth/access_token";
const THROTTLED = error(
  429,
  "Too Many Requests",
  "rate_limited",
  "Too many failed authentication attempts from this address; try again later.",
);
const FAILED = error(401, "Unauthorized", "invalid_client", "Client authentication failed.");

// wrangler.toml: 30 failed authentications a minute per caller address.

afterEach(() => vi.restoreAllMocks());

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
const implicit = (c: { client_id: string }) => ({ grant_type: "implicit", client_id: c.client_id });

describe("brute-force protection never refuses a correct credential", () => {
  it("40 wrong secrets from one address: that address's failures get 429; the right secret still works from it and from anywhere", async () => {
    const victim = await createApplicationKey("victim");
    const attacker = randomIp();
    await freshWindow();
    const statuses: number[] = [];
    for (let i = 1; i <= 40; i++) statuses.push((await post(TOKEN, cc(victim, `guess-${i}`), from(attacker))).status);
    expect(statuses).toStrictEqual([...Array(30).fill(401), ...Array(10).fill(429)]);

    const over = await post(TOKEN, cc(victim, "guess-41"), from(attacker));
    expect(over.status).toBe(429);
    expect(over.headers.get("Retry-After")).toBe("60");
    expect(over.headers.get("Cache-Control")).toBe("no-store");
    expect(await over.json()).toStrictEqual(THROTTLED);

    // the correct secret, from the throttled address (a shared NAT) and from another one
    for (const ip of [attacker, randomIp()]) {
      const right = await post(TOKEN, cc(victim), from(ip));
      expect([ip, right.status]).toStrictEqual([ip, 200]);
    }
    // an implicit request for an existing client is a correct credential too
    expect((await post(TOKEN, implicit(victim), from(attacker))).status).toBe(200);
    // a wrong secret from another address is an ordinary 401: nothing is locked
    const elsewhere = await post(TOKEN, cc(victim, "typo"), from(randomIp()));
    expect([elsewhere.status, await elsewhere.json()]).toStrictEqual([401, FAILED]);
    // and revoke / introspect with the right secret work from the throttled address
    const token = await tokenFor(victim);
    expect((await post("/oauth/introspect", { token, ...cc(victim) }, from(attacker))).status).toBe(200);
    expect((await post("/oauth/revoke", { token, ...cc(victim) }, from(attacker))).status).toBe(200);
  });

  it("counts an IPv6 caller per /64: rotating the interface id does not reset the count", async () => {
    const victim = await createApplicationKey();
    const [a, b] = crypto.getRandomValues(new Uint16Array(2));
    const prefix = `2001:db8:${a!.toString(16)}:${b!.toString(16)}`;
    await freshWindow();
    for (let i = 1; i <= 30; i++) {
      expect((await post(TOKEN, cc(victim, "x"), from(`${prefix}::${i.toString(16)}`))).status).toBe(401);
    }
    expect((await post(TOKEN, cc(victim, "x"), from(`${prefix}:ffff:1:2:3`))).status).toBe(429);
    expect((await post(TOKEN, cc(victim, "x"), from(`${prefix}:0:0:0:abcd`))).status).toBe(429);
    // the neighbouring /64 is another caller
    expect((await post(TOKEN, cc(victim, "x"), from(`2001:db8:${a!.toString(16)}:${((b! + 1) & 0xffff).toString(16)}::1`))).status).toBe(
      401,
    );
    expect((await post(TOKEN, cc(victim), from(`${prefix}::1`))).status).toBe(200);
  });

  it("counts failures at the revocation and introspection endpoints too, and the right secret still passes", async () => {
    const client = await createApplicationKey();
    const token = await tokenFor(client);
    const ip = randomIp();
    await freshWindow();
    for (let i = 1; i <= 15; i++) {
      expect((await post("/oauth/introspect", { token, ...cc(client, "wrong") }, from(ip))).status).toBe(401);
      expect((await post("/oauth/revoke", { token, ...cc(client, "wrong") }, from(ip))).status).toBe(401);
    }
    expect((await post("/oauth/introspect", { token, ...cc(client, "wrong") }, from(ip))).status).toBe(429);
    expect((await post("/oauth/introspect", { token, ...cc(client) }, from(ip))).status).toBe(200);
    expect((await post("/oauth/revoke", { token, ...cc(client) }, from(ip))).status).toBe(200);
  });

  it("logs per-client_id failures as a warning with the count, and locks nothing", async () => {
    const victim = await createApplicationKey("watched");
    const lines: Record<string, unknown>[] = [];
    for (const level of ["log", "warn", "error"] as const) {
      vi.spyOn(console, level).mockImplementation((line: unknown) => void lines.push(JSON.parse(String(line))));
    }
    await freshWindow();
    // spread over many addresses, as a distributed attacker would
    for (let i = 1; i <= 12; i++) expect((await post(TOKEN, cc(victim, `g${i}`), from(randomIp()))).status).toBe(401);
    expect(lines.map((l) => [l.level, l.client_failures])).toStrictEqual([
      ...Array.from({ length: 9 }, (_, i) => ["info", i + 1]),
      ["warn", 10],
      ["warn", 11],
      ["warn", 12],
    ]);
    expect(lines.at(-1)).toMatchObject({ level: "warn", outcome: "invalid_client", client_id: victim.client_id, client_failures: 12 });
    expect((await post(TOKEN, cc(victim), from(randomIp()))).status).toBe(200);
    expect(lines.at(-1)).toMatchObject({ level: "info", outcome: "ok" });
    expect(lines.at(-1)).not.toHaveProperty("client_failures");
  });

  it("a lock: entry left in KV by an earlier version locks nobody", async () => {
    const client = await createApplicationKey();
    const ip = "192.0.2.7";
    const until = String(Math.floor(Date.now() / 1000) + 3600);
    await env.CLIENTS.put(`lock:client:${client.client_id}`, until, { expirationTtl: 3600 });
    await env.CLIENTS.put(`lock:ip:${ip}`, until, { expirationTtl: 3600 });
    expect((await post(TOKEN, cc(client), from(ip))).status).toBe(200);
    expect((await post(TOKEN, implicit(client), from(ip))).status).toBe(200);
  });

  it("never limits successful issuance by default", async () => {
    const client = await createApplicationKey();
    const ip = randomIp();
    const statuses = await Promise.all(Array.from({ length: 100 }, () => post(TOKEN, cc(client), from(ip)).then((r) => r.status)));
    expect(new Set(statuses)).toStrictEqual(new Set([200]));
    const publicStatuses = await Promise.all(
      Array.from({ length: 100 }, () => post(TOKEN, implicit(client), from(ip)).then((r) => r.status)),
    );
    expect(new Set(publicStatuses)).toStrictEqual(new Set([200]));
  });
});

describe("LIMIT_ISSUANCE", () => {
  const limited = { LIMIT_ISSUANCE: "true" };
  const TOO_MANY = error(429, "Too Many Requests", "rate_limited", "Too many tokens were requested for this client; try again later.");

  it("limits client_credentials per client_id (600 a minute); other clients and the implicit bucket are unaffected", async () => {
    // 600 requests one after another: on a loaded machine they may cross the window's turn
    await inOneWindow(async () => {
      const client = await createApplicationKey();
      const statuses: number[] = [];
      for (let i = 0; i < 600; i++) statuses.push((await post(TOKEN, cc(client), from(randomIp()), limited)).status);
      expect(statuses.every((s) => s === 200)).toBe(true);
      const last = await post(TOKEN, cc(client), from(randomIp()), limited);
      expect([last.status, last.headers.get("Retry-After"), await last.json()]).toStrictEqual([429, "60", TOO_MANY]);
      expect((await post(TOKEN, cc(await createApplicationKey()), {}, limited)).status).toBe(200);
      // the implicit grant has a bucket of its own: the backend's exhaustion does not touch it
      expect((await post(TOKEN, implicit(client), from(randomIp()), limited)).status).toBe(200);
    });
  });

  it("limits implicit per address (60 a minute), without touching the backend's client_credentials allowance", async () => {
    const client = await createApplicationKey();
    const browser = randomIp();
    await freshWindow();
    const statuses: number[] = [];
    for (let i = 0; i < 61; i++) statuses.push((await post(TOKEN, implicit(client), from(browser), limited)).status);
    expect(statuses).toStrictEqual([...Array(60).fill(200), 429]);
    const res = await post(TOKEN, implicit(client), from(browser), limited);
    expect([res.status, res.headers.get("Retry-After"), await res.json()]).toStrictEqual([
      429,
      "60",
      error(429, "Too Many Requests", "rate_limited", "Too many tokens were requested from this address; try again later."),
    ]);
    // other browsers, and the backend with its secret, from the same address too
    expect((await post(TOKEN, implicit(client), from(randomIp()), limited)).status).toBe(200);
    expect((await post(TOKEN, cc(client), from(browser), limited)).status).toBe(200);
  });

  it("limits implicit per client_id in a bucket of its own, across addresses", async () => {
    // 600 requests one after another: on a loaded machine they may cross the window's turn
    await inOneWindow(async () => {
      const client = await createApplicationKey();
      // 12 addresses × 50, each under its own limit: the per-client bucket is what stops them
      const statuses: number[] = [];
      for (let batch = 0; batch < 12; batch++) {
        const ip = randomIp();
        for (let i = 0; i < 50; i++) statuses.push((await post(TOKEN, implicit(client), from(ip), limited)).status);
      }
      expect(statuses.every((s) => s === 200)).toBe(true);
      const over = await post(TOKEN, implicit(client), from(randomIp()), limited);
      expect([over.status, await over.json()]).toStrictEqual([429, TOO_MANY]);
      // the backend's client_credentials allowance is untouched
      expect((await post(TOKEN, cc(client), from(randomIp()), limited)).status).toBe(200);
    });
  });
});
