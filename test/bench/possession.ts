import { base64url, calculateJwkThumbprint, exportJWK, generateKeyPair, type JWK, SignJWT } from "jose";
import { signAccessToken } from "../../src/tokens/sign.ts";
import { keySet } from "../../src/tokens/signing-keys.ts";

/**
 * What the private_key_jwt + DPoP scenarios send: every request needs its own client assertion
 * and DPoP proof (each jti is used once), and DPoP verification gets a fresh token and proof per
 * request, so pools of them are made here, just before each run (proofs are accepted for 60 s).
 */
export const CLIENT_KID = "bench-client";

export interface PossessionKeys {
  /** The client's assertion key; its public JWK is registered with the key. */
  assertion: CryptoKey;
  assertionJwk: JWK & { kid: string; alg: "EdDSA" };
  /** The client's DPoP key, and the thumbprint its tokens are bound to. */
  dpop: CryptoKey;
  dpopJwk: JWK;
  jkt: string;
}

export async function possessionKeys(): Promise<PossessionKeys> {
  const assertion = await generateKeyPair("Ed25519", { extractable: true });
  const dpop = await generateKeyPair("Ed25519", { extractable: true });
  const dpopJwk = await exportJWK(dpop.publicKey);
  return {
    assertion: assertion.privateKey,
    assertionJwk: { ...(await exportJWK(assertion.publicKey)), kid: CLIENT_KID, alg: "EdDSA" },
    dpop: dpop.privateKey,
    dpopJwk,
    jkt: await calculateJwkThumbprint(dpopJwk),
  };
}

/** One request's own parts, sent on top of its scenario's URL and method. */
export type Fresh = { headers: Record<string, string>; body?: string };

const now = () => Math.floor(Date.now() / 1000);
const sha256 = async (text: string) =>
  base64url.encode(new Uint8Array(await crypto.subtle.digest("SHA-256", new TextEncoder().encode(text))));

export function dpopProof(k: PossessionKeys, method: string, url: string, ath?: string): Promise<string> {
  return new SignJWT({ jti: crypto.randomUUID(), htm: method, htu: url, iat: now(), ...(ath ? { ath } : {}) })
    .setProtectedHeader({ alg: "EdDSA", typ: "dpop+jwt", jwk: k.dpopJwk })
    .sign(k.dpop);
}

/** `n` token requests: a fresh assertion and a fresh proof each. */
export async function issuanceRequests(n: number, k: PossessionKeys, clientId: string, issuer: string, tokenUrl: string): Promise<Fresh[]> {
  return Promise.all(
    Array.from({ length: n }, async () => {
      const assertion = await new SignJWT({
        iss: clientId,
        sub: clientId,
        aud: issuer,
        iat: now(),
        exp: now() + 240,
        jti: crypto.randomUUID(),
      })
        .setProtectedHeader({ alg: "EdDSA", kid: CLIENT_KID })
        .sign(k.assertion);
      const body = new URLSearchParams({
        grant_type: "client_credentials",
        client_assertion_type: "urn:ietf:params:oauth:client-assertion-type:jwt-bearer",
        client_assertion: assertion,
      }).toString();
      return { body, headers: { "content-type": "application/x-www-form-urlencoded", dpop: await dpopProof(k, "POST", tokenUrl) } };
    }),
  );
}

/** `n` resource requests: a fresh DPoP-bound token (signed here, as the service signs) and its proof each. */
export async function verificationRequests(
  n: number,
  k: PossessionKeys,
  o: { signingKeys: string; issuer: string; clientId: string; url: string },
): Promise<Fresh[]> {
  const keys = await keySet(o.signingKeys);
  return Promise.all(
    Array.from({ length: n }, async () => {
      const { token } = await signAccessToken(keys, {
        issuer: o.issuer,
        audience: o.issuer,
        ttlSeconds: 3600,
        clientId: o.clientId,
        grant: "client_credentials",
        scope: "read write",
        jkt: k.jkt,
      });
      return { headers: { authorization: `DPoP ${token}`, dpop: await dpopProof(k, "GET", o.url, await sha256(token)) } };
    }),
  );
}
