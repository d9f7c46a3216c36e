import { createExecutionContext } from "cloudflare:test";
import { env } from "cloudflare:workers";
import { base64url } from "jose";
import { describe, expect, it } from "vitest";
import { TokenVerifier } from "../../src/index.ts";
import { sha256 } from "../../src/lib/sha256.ts";
import { TtlCache } from "../../src/lib/ttl-cache.ts";
import { signingKeys } from "../../src/tokens/signing-keys.ts";
import { type VerifiedTokens, verifyAccessToken } from "../../src/tokens/verify-access-token.ts";
import { call, createApplicationKey, error, ORIGIN, post, signWith, tokenFor } from "../support/helpers.ts";

/**
 * One signed token, one spelling. A JWS signs the text of its first two segments, so only the
 * signature segment can be re-spelled; a lenient base64url decoder (jose's, through
 * Uint8Array.fromBase64 in loose mode) takes padding, whitespace and non-zero unused bits there.
 */
const ALPHABET = "ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789-_";

function respellings(token: string): [string, string][] {
  const [h, p, s] = token.split(".") as [string, string, string];
  // 64-byte signatures are 86 characters: the last one carries 2 bits of data and 4 unused.
  const last = ALPHABET.indexOf(s.at(-1)!);
  const otherBits = ALPHABET[last ^ 1]!;
  return [
    ["padding", `${h}.${p}.${s}==`],
    ["whitespace", `${h}.${p}.${s.slice(0, 40)} ${s.slice(40)}`],
    ["a newline", `${h}.${p}.${s.slice(0, 40)}\n${s.slice(40)}`],
    ["non-zero unused bits", `${h}.${p}.${s.slice(0, -1)}${otherBits}`],
    // only when the signature has a "-" or "_" to swap (94 % of them)
    ...(/[-_]/.test(s) ? [["the base64 alphabet", `${h}.${p}.${s.replaceAll("-", "+").replaceAll("_", "/")}`] as [string, string]] : []),
  ];
}

const inspector = () => createApplicationKey("inspector");
const introspect = async (token: string, c: { client_id: string; client_secret: string }) =>
  (await post("/oauth/introspect", { token, client_id: c.client_id, client_secret: c.client_secret })).json();

describe("one token, one spelling", () => {
  it("the canonical token verifies; every other spelling of it is malformed, on every path", async () => {
    const client = await createApplicationKey();
    const token = await tokenFor(client);
    const rpc = new TokenVerifier(createExecutionContext(), env);
    const who = await inspector();
    expect((await rpc.verify(token)).valid).toBe(true);
    expect(await introspect(token, who)).toMatchObject({ active: true });

    for (const [name, spelling] of respellings(token)) {
      expect(spelling).not.toBe(token);
      expect([name, await rpc.verify(spelling)]).toStrictEqual([name, { valid: false, status: 401, error: "malformed" }]);
      expect([name, await introspect(spelling, who)]).toStrictEqual([name, { active: false }]);
      // Revoking another spelling is a no-op (an unusable token): the real token stays live.
      const revoked = await post("/oauth/revoke", { token: spelling, client_id: client.client_id, client_secret: client.client_secret });
      expect([name, revoked.status]).toStrictEqual([name, 200]);
      if (/\s/.test(spelling)) continue; // cannot travel as one Bearer credential in a header
      const admin = await call("/v2/application-keys", { headers: { Authorization: `Bearer ${spelling}` } });
      expect([name, admin.status]).toStrictEqual([name, 401]);
      const consumer = await env.CONSUMER.fetch("https://api.example/module/x", { headers: { Authorization: `Bearer ${spelling}` } });
      expect([name, consumer.status, consumer.headers.get("X-Verify-Error")]).toStrictEqual([name, 401, "malformed"]);
    }
    expect((await rpc.verify(token)).valid).toBe(true);
    expect(await introspect(token, who)).toMatchObject({ active: true });
  });

  it("refuses a token longer than 4 KiB before decoding it, even one we signed", async () => {
    const big = await signWith({ filler: "x".repeat(2500) });
    const bigger = await signWith({ filler: "x".repeat(2900) });
    expect(big.length).toBeLessThanOrEqual(4096);
    expect(bigger.length).toBeGreaterThan(4096);
    const rpc = new TokenVerifier(createExecutionContext(), env);
    expect((await rpc.verify(big)).valid).toBe(true);
    expect(await rpc.verify(bigger)).toStrictEqual({ valid: false, status: 401, error: "malformed" });
    const res = await call("/v2/application-keys", { headers: { Authorization: `Bearer ${bigger}` } });
    expect(res.status).toBe(401);
    expect(await res.json()).toStrictEqual(
      error(401, "Unauthorized", "invalid_token", "The access token is missing, invalid, expired or revoked."),
    );
  });

  it("keys the verified-token cache by a digest of the token, not its text", async () => {
    const keys = await signingKeys(env);
    const verified: VerifiedTokens = new TtlCache(10);
    const token = await signWith();
    const outcome = await verifyAccessToken(token, {
      key: (kid) => keys.verifiers.get(kid),
      issuer: ORIGIN,
      audience: undefined,
      verified,
    });
    expect(outcome.ok).toBe(true);
    const digest = base64url.encode(await sha256(token));
    expect(verified.get(token)).toBeUndefined();
    expect(verified.get(digest)).toMatchObject({ kid: (await keys.signer(env.SIGNING_KEY_KEK)).kid });
  });
});
