import { base64url, decodeProtectedHeader, generateKeyPair, jwtVerify, SignJWT } from "jose";
import { describe, expect, it } from "vitest";
import type { Signer } from "../../../src/tokens/algorithms.ts";
import { isLowS } from "../../../src/tokens/low-s.ts";
import { type IssueOptions, signAccessToken } from "../../../src/tokens/sign.ts";

const BARE: IssueOptions = {
  issuer: "https://auth.example",
  audience: "https://auth.example",
  ttlSeconds: 3600,
  clientId: "a".repeat(40),
  grant: "client_credentials",
  scope: "read write",
  now: 1_800_000_000,
};
const FULL: IssueOptions = {
  ...BARE,
  audience: ["https://orders.example", "https://reports.example"],
  grant: "implicit",
  jkt: "0ZcOCORZNYy-DWpqq30jZyJGHTN0d2HglBV3uiguA4I",
  keyVersion: 3,
  status: { idx: 17, uri: "https://auth.example/oauth/status-lists/400000001" },
};

async function signer(alg: "EdDSA" | "ES256"): Promise<{ signer: Signer; publicKey: CryptoKey }> {
  const { privateKey, publicKey } = await generateKeyPair(alg === "EdDSA" ? "Ed25519" : "ES256");
  return { signer: { kid: `${alg}-key`, alg, key: privateKey }, publicKey };
}

describe("signAccessToken", () => {
  it.each([
    ["without the optional claims", BARE],
    ["with cnf, key_version and status", FULL],
  ])("makes the very bytes jose's SignJWT makes for the same header and claims (Ed25519 is deterministic), %s", async (_, o) => {
    const { signer: s } = await signer("EdDSA");
    const { token, claims } = await signAccessToken(s, o);
    const expected = await new SignJWT({ ...claims }).setProtectedHeader({ alg: "EdDSA", kid: s.kid, typ: "at+jwt" }).sign(s.key);
    expect(token).toBe(expected);
    expect(Object.keys(claims)).toStrictEqual(
      o === FULL
        ? ["iss", "sub", "aud", "exp", "iat", "jti", "client_id", "scope", "grant_type", "cnf", "key_version", "status"]
        : ["iss", "sub", "aud", "exp", "iat", "jti", "client_id", "scope", "grant_type"],
    );
  });

  it("signs ES256 tokens that verify, in low-S form, with the header and claims it returns", async () => {
    const { signer: s, publicKey } = await signer("ES256");
    for (let i = 0; i < 20; i++) {
      const { token, claims } = await signAccessToken(s, { ...FULL, now: Math.floor(Date.now() / 1000) });
      const { payload, protectedHeader } = await jwtVerify(token, publicKey, { algorithms: ["ES256"], typ: "at+jwt" });
      expect(payload).toStrictEqual(claims);
      expect(protectedHeader).toStrictEqual({ alg: "ES256", kid: s.kid, typ: "at+jwt" });
      expect(decodeProtectedHeader(token)).toStrictEqual(protectedHeader);
      expect(isLowS(base64url.decode(token.split(".")[2]!))).toBe(true);
    }
  });
});
