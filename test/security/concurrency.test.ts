import { env } from "cloudflare:workers";
import { describe, expect, it } from "vitest";
import { claimsOf, createApplicationKey, randomIp } from "../support/helpers.ts";

/** Through edge-token running as its own Worker (the EDGE_TOKEN binding), all at once. */
function edge(path: string, body: Record<string, string>) {
  return env.EDGE_TOKEN.fetch(`https://auth.example${path}`, {
    method: "POST",
    headers: { "Content-Type": "application/x-www-form-urlencoded", "CF-Connecting-IP": randomIp() },
    body: new URLSearchParams(body).toString(),
  });
}

describe("concurrency", () => {
  it("issues 1,000 tokens at once, all distinct, and 300 concurrent revocations all stick", async () => {
    const clients = await Promise.all(Array.from({ length: 10 }, (_, i) => createApplicationKey(`concurrent ${i}`)));
    const responses = await Promise.all(
      Array.from({ length: 1000 }, (_, i) => {
        const c = clients[i % clients.length]!;
        return edge("/oauth/access_token", {
          grant_type: i % 2 ? "implicit" : "client_credentials",
          client_id: c.client_id,
          client_secret: c.client_secret,
        });
      }),
    );
    expect(responses.map((r) => r.status).filter((s) => s !== 200)).toStrictEqual([]);
    const tokens = await Promise.all(responses.map(async (r) => ((await r.json()) as { access_token: string }).access_token));
    const jtis = new Set(tokens.map((t) => claimsOf(t).jti));
    expect(jtis.size).toBe(1000);

    const byClient = new Map(clients.map((c) => [c.client_id, c]));
    const doomed = tokens.slice(0, 300);
    const revoked = await Promise.all(
      doomed.map((token) => {
        const c = byClient.get(claimsOf(token).client_id)!;
        return edge("/oauth/revoke", { token, client_id: c.client_id, client_secret: c.client_secret });
      }),
    );
    expect(revoked.map((r) => r.status).filter((s) => s !== 200)).toStrictEqual([]);

    const inspector = clients[0]!;
    const active = await Promise.all(
      tokens.slice(0, 400).map(async (token) => {
        const r = await edge("/oauth/introspect", { token, client_id: inspector.client_id, client_secret: inspector.client_secret });
        return ((await r.json()) as { active: boolean }).active;
      }),
    );
    expect(active.slice(0, 300).filter(Boolean)).toHaveLength(0);
    expect(active.slice(300).every(Boolean)).toBe(true);
    // Their list carries them: no KV key per revoked token.
    expect((await env.REVOCATIONS.list({ prefix: "jti:" })).keys).toStrictEqual([]);
  }, 120_000);
});
