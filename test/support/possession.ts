import { base64url, calculateJwkThumbprint, exportJWK, generateKeyPair, type JWK, SignJWT } from "jose";

/**
 * Client keys, client assertions (RFC 7523) and DPoP proofs (RFC 9449) made by hand, so that
 * each can be made wrong in exactly one way. The happy paths are driven by oauth4webapi.
 */
export type Alg = "EdDSA" | "ES256" | "PS256";

export interface ClientKey {
  alg: Alg;
  privateKey: CryptoKey;
  publicKey: CryptoKey;
  /** The public JWK, with kid and alg, as a key registers it. */
  jwk: JWK & { kid: string; alg: Alg };
}

export async function clientKey(alg: Alg = "EdDSA", kid = crypto.randomUUID()): Promise<ClientKey> {
  const { privateKey, publicKey } = await generateKeyPair(alg === "EdDSA" ? "Ed25519" : alg, { extractable: true });
  const jwk = { ...(await exportJWK(publicKey)), kid, alg };
  return { alg, privateKey, publicKey, jwk };
}

export const thumbprint = (k: ClientKey) => calculateJwkThumbprint({ ...k.jwk, kid: undefined, alg: undefined } as JWK);

const now = () => Math.floor(Date.now() / 1000);

/** A client assertion for `clientId`, as RFC 7523 wants it; `claims` and `header` override. */
export function assertion(
  key: ClientKey,
  clientId: string,
  audience: string,
  claims: Record<string, unknown> = {},
  header: Record<string, unknown> = {},
): Promise<string> {
  const t = now();
  return new SignJWT({ iss: clientId, sub: clientId, aud: audience, iat: t, exp: t + 60, jti: crypto.randomUUID(), ...claims })
    .setProtectedHeader({ alg: key.alg, kid: key.jwk.kid, ...header } as never)
    .sign(key.privateKey);
}

/** A DPoP proof for `method` `url` (and `accessToken`'s ath), signed with `key`. */
export async function proof(
  key: ClientKey,
  method: string,
  url: string,
  o: { accessToken?: string; claims?: Record<string, unknown>; header?: Record<string, unknown>; signWith?: ClientKey } = {},
): Promise<string> {
  const { kid: _k, alg: _a, ...publicJwk } = key.jwk;
  const ath =
    o.accessToken === undefined
      ? {}
      : { ath: base64url.encode(new Uint8Array(await crypto.subtle.digest("SHA-256", new TextEncoder().encode(o.accessToken)))) };
  const signer = o.signWith ?? key;
  return new SignJWT({ jti: crypto.randomUUID(), htm: method, htu: url, iat: now(), ...ath, ...o.claims })
    .setProtectedHeader({ alg: key.alg, typ: "dpop+jwt", jwk: publicJwk, ...o.header } as never)
    .sign(signer.privateKey);
}

/** A JWS with the given header and claims and no signature (alg none), or an HMAC one. */
export function unsignedJwt(header: Record<string, unknown>, claims: Record<string, unknown>): string {
  const enc = (v: unknown) => base64url.encode(new TextEncoder().encode(JSON.stringify(v)));
  return `${enc(header)}.${enc(claims)}.`;
}

export async function hmacJwt(header: Record<string, unknown>, claims: Record<string, unknown>): Promise<string> {
  const secret = new TextEncoder().encode("a shared secret the service never registered");
  return new SignJWT(claims).setProtectedHeader({ ...header, alg: "HS256" } as never).sign(secret);
}
