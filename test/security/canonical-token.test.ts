import { createExecutionContext } from "cloudflare:test";
import { env } from "cloudflare:workers";
import { base64url } from "jose";
import { describe, expect, it } from "vitest";
import { TokenVerifier } from "../../src/index.ts";
import { sha256 } from "../../src/lib/sha256.ts";
import { TtlCache } from "../../src/lib/ttl-cache.ts";
import { keySet } from "../../src/tokens/signing-keys.ts";
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
    const keys = await keySet(env.SIGNING_KEYS);
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
    expect(verified.get(digest)).toMatchObject({ kid: keys.signer.kid });
  });
});

/** P-256's group order: an ECDSA signature (r, s) also verifies as (r, n − s). */
const P256_N = 0xffffffff00000000ffffffffffffffffbce6faada7179e84f3b9cac2fc632551n;
const toBigInt = (bytes: Uint8Array) => BigInt(`0x${[...bytes].map((b) => b.toString(16).padStart(2, "0")).join("")}`);
const sOf = (token: string) => toBigInt(base64url.decode(token.split(".")[2]!).slice(32));

/** The same token with (r, n − s): the other signature ECDSA accepts for the same message and key. */
function mirrored(token: string): string {
  const [h, p, sig] = token.split(".") as [string, string, string];
  const bytes = base64url.decode(sig);
  const s = (P256_N - toBigInt(bytes.slice(32))).toString(16).padStart(64, "0");
  const out = new Uint8Array(64);
  out.set(bytes.slice(0, 32));
  for (let i = 0; i < 32; i++) out[32 + i] = Number.parseInt(s.slice(2 * i, 2 * i + 2), 16);
  return `${h}.${p}.${base64url.encode(out)}`;
}

describe("ES256: one signature per token", () => {
  async function es256Keys() {
    const { exportJWK, generateKeyPair, calculateJwkThumbprint } = await import("jose");
    const { privateKey } = await generateKeyPair("ES256", { extractable: true });
    const jwk = await exportJWK(privateKey);
    const kid = await calculateJwkThumbprint({ kty: jwk.kty!, crv: jwk.crv!, x: jwk.x!, y: jwk.y! });
    return JSON.stringify({ keys: [{ ...jwk, kid, alg: "ES256", use: "sig" }] });
  }

  it("signs only low-S, and refuses the high-S twin of a token on every path", async () => {
    const es = { ...env, SIGNING_KEYS: await es256Keys() };
    const client = await createApplicationKey();
    const half = P256_N / 2n;
    const tokens: string[] = [];
    for (let i = 0; i < 24; i++) {
      const res = await call(
        "/oauth/access_token",
        {
          method: "POST",
          headers: { "Content-Type": "application/x-www-form-urlencoded" },
          body: new URLSearchParams({ grant_type: "client_credentials", client_id: client.client_id, client_secret: client.client_secret }),
        },
        es,
      );
      tokens.push(((await res.json()) as { access_token: string }).access_token);
    }
    // Random ECDSA signatures are high-S half the time: 24 low-S ones by chance is one in 16 million.
    expect(tokens.filter((t) => sOf(t) > half)).toStrictEqual([]);

    const token = tokens[0]!;
    const twin = mirrored(token);
    expect(sOf(twin) > half).toBe(true);
    // The twin is a valid ECDSA signature: WebCrypto accepts it for the same key and message.
    const jwk = (JSON.parse(es.SIGNING_KEYS) as { keys: Record<string, string>[] }).keys[0]!;
    const publicKey = await crypto.subtle.importKey(
      "jwk",
      { kty: "EC", crv: "P-256", x: jwk.x, y: jwk.y },
      { name: "ECDSA", namedCurve: "P-256" },
      false,
      ["verify"],
    );
    const [h, p, sig] = twin.split(".") as [string, string, string];
    expect(
      await crypto.subtle.verify(
        { name: "ECDSA", hash: "SHA-256" },
        publicKey,
        base64url.decode(sig),
        new TextEncoder().encode(`${h}.${p}`),
      ),
    ).toBe(true);

    const rpc = new TokenVerifier(createExecutionContext(), es);
    expect((await rpc.verify(token, { method: "GET" })).valid).toBe(true);
    expect(await rpc.verify(twin, { method: "GET" })).toStrictEqual({ valid: false, status: 401, error: "bad_signature" });
    const inspectorKey = await inspector();
    const introspected = await call(
      "/oauth/introspect",
      {
        method: "POST",
        headers: { "Content-Type": "application/x-www-form-urlencoded" },
        body: new URLSearchParams({ token: twin, client_id: inspectorKey.client_id, client_secret: inspectorKey.client_secret }),
      },
      es,
    );
    expect(await introspected.json()).toStrictEqual({ active: false });
    const { createVerifier } = await import("../../src/verify.ts");
    const jwks = JSON.parse((await keySet(es.SIGNING_KEYS)).jwksJson) as { keys: unknown[] };
    const module = createVerifier({ issuer: ORIGIN, jwks, revocations: false });
    expect((await module.verify(token, { method: "GET" })).valid).toBe(true);
    expect(await module.verify(twin, { method: "GET" })).toStrictEqual({ valid: false, status: 401, error: "bad_signature" });
  });
});
