import { env } from "cloudflare:workers";
import { afterEach, describe, expect, it, vi } from "vitest";
import { CLOCK_SKEW_SECONDS, KV_MIN_EXPIRATION_TTL_SECONDS } from "../../src/lib/limits.ts";
import { basic, claimsOf, createApplicationKey, error, issueAt, nowSeconds, post, tokenFor } from "../support/helpers.ts";

const REVOKE = "/oauth/revoke";
afterEach(() => vi.restoreAllMocks());

const creds = (c: { client_id: string; client_secret: string }) => ({ client_id: c.client_id, client_secret: c.client_secret });
const introspect = async (token: string, c: { client_id: string; client_secret: string }) =>
  (await (await post("/oauth/introspect", { token, ...creds(c) })).json()) as { active: boolean };

async function revocationEntry(jti: string) {
  const { keys } = await env.REVOCATIONS.list({ prefix: `jti:${jti}` });
  return keys;
}

describe("POST /oauth/revoke", () => {
  it("revokes a token: 200, empty body, inactive afterwards, entry kept until the token can no longer pass", async () => {
    const client = await createApplicationKey();
    const token = await tokenFor(client);
    expect((await introspect(token, client)).active).toBe(true);

    const res = await post(REVOKE, { token, token_type_hint: "access_token", ...creds(client) });
    expect(res.status).toBe(200);
    expect(await res.text()).toBe("");
    expect(res.headers.get("Cache-Control")).toBe("no-store");

    expect(await introspect(token, client)).toStrictEqual({ active: false });
    const { jti, exp } = claimsOf(token);
    // Verification accepts a token until exp + the clock skew: the entry must last that long too.
    expect(await revocationEntry(jti)).toStrictEqual([{ name: `jti:${jti}`, expiration: exp + CLOCK_SKEW_SECONDS }]);
  });

  it("raises the entry's expiration to KV's 60 s floor for a token about to expire", async () => {
    const client = await createApplicationKey();
    const now = nowSeconds();
    const { token, claims } = await issueAt(client, now - 50, "client_credentials", 60); // exp = now + 10
    const res = await post(REVOKE, { token, ...creds(client) });
    expect(res.status).toBe(200);
    const [entry] = await revocationEntry(claims.jti);
    expect(entry!.expiration).toBeGreaterThanOrEqual(now + KV_MIN_EXPIRATION_TTL_SECONDS);
    expect(entry!.expiration).toBeLessThanOrEqual(nowSeconds() + KV_MIN_EXPIRATION_TTL_SECONDS);
  });

  it("accepts HTTP Basic client authentication", async () => {
    const client = await createApplicationKey();
    const token = await tokenFor(client);
    const res = await post(REVOKE, { token }, basic(client.client_id, client.client_secret));
    expect(res.status).toBe(200);
    expect(await introspect(token, client)).toStrictEqual({ active: false });
  });

  it("lets a public client revoke its own implicit token with client_id alone", async () => {
    const client = await createApplicationKey();
    const token = await tokenFor(client, "implicit");
    const res = await post(REVOKE, { token, client_id: client.client_id });
    expect(res.status).toBe(200);
    expect(await introspect(token, client)).toStrictEqual({ active: false });
  });

  it("refuses a client_credentials token revoked without the secret, and it stays active", async () => {
    const client = await createApplicationKey();
    const token = await tokenFor(client);
    const res = await post(REVOKE, { token, client_id: client.client_id });
    expect(res.status).toBe(400);
    expect(await res.json()).toStrictEqual(
      error(400, "Bad Request", "unauthorized_client", "Revoking a client_credentials token needs the client secret."),
    );
    expect((await introspect(token, client)).active).toBe(true);
  });

  it("does not let a client revoke another client's token", async () => {
    const owner = await createApplicationKey();
    const other = await createApplicationKey();
    const token = await tokenFor(owner);
    const res = await post(REVOKE, { token, ...creds(other) });
    expect(res.status).toBe(400);
    expect(await res.json()).toStrictEqual(error(400, "Bad Request", "unauthorized_client", "The token was not issued to this client."));
    expect((await introspect(token, owner)).active).toBe(true);
    expect(await revocationEntry(claimsOf(token).jti)).toStrictEqual([]);
  });

  it("answers 200 for already revoked, expired, unknown and garbage tokens, writing nothing", async () => {
    const client = await createApplicationKey();
    const token = await tokenFor(client);
    expect((await post(REVOKE, { token, ...creds(client) })).status).toBe(200);
    const put = vi.spyOn(env.REVOCATIONS, "put");
    const expired = (await issueAt(client, nowSeconds() - 7200)).token;
    for (const t of [token, expired, "garbage", "a.b.c", `${token.slice(0, -2)}xx`]) {
      const res = await post(REVOKE, { token: t, ...creds(client) });
      expect([t, res.status, await res.text()]).toStrictEqual([t, 200, ""]);
    }
    expect(put).not.toHaveBeenCalled();
  });

  it("400 without token", async () => {
    const client = await createApplicationKey();
    const res = await post(REVOKE, creds(client));
    expect(res.status).toBe(400);
    expect(await res.json()).toStrictEqual(error(400, "Bad Request", "invalid_request", 'The parameter "token" is required.'));
  });

  it("401 when client authentication fails", async () => {
    const client = await createApplicationKey();
    const token = await tokenFor(client);
    const cases: [Record<string, string>, Record<string, string>][] = [
      [{ token, client_id: client.client_id, client_secret: "wrong" }, {}],
      [{ token, client_id: "0".repeat(40) }, {}],
      [{ token }, {}],
      [{ token }, basic(client.client_id, "wrong")],
    ];
    for (const [params, headers] of cases) {
      const res = await post(REVOKE, params, headers);
      expect(res.status).toBe(401);
      expect(await res.json()).toStrictEqual(error(401, "Unauthorized", "invalid_client", "Client authentication failed."));
    }
    expect((await introspect(token, client)).active).toBe(true);
  });

  it("never answers 200 when the revocation did not persist", async () => {
    const client = await createApplicationKey();
    const token = await tokenFor(client);
    vi.spyOn(console, "error").mockImplementation(() => {});
    vi.spyOn(env.REVOCATIONS, "put").mockRejectedValueOnce(new Error("KV PUT failed"));
    const res = await post(REVOKE, { token, ...creds(client) });
    expect(res.status).toBe(500);
    expect((await introspect(token, client)).active).toBe(true);
  });
});
