import { calculateJwkThumbprint, exportJWK, generateKeyPair, importJWK, type JWK } from "jose";
import { ConfigError } from "../lib/errors.ts";
import { type Algorithm, algorithmOf } from "./algorithms.ts";

/**
 * Signing keys as key material: new ones made, the SIGNING_KEYS secret of earlier versions
 * read for its one import into the registry, public halves cut from private JWKs, private
 * JWKs made into CryptoKeys that cannot be exported.
 */

export interface PublicJwk {
  kty: string;
  crv: string;
  x: string;
  y?: string;
  kid: string;
  alg: Algorithm;
  use: "sig";
}

export type PrivateJwk = Record<string, unknown> & { kid: string };

/** A new private signing JWK, its RFC 7638 thumbprint as kid. */
export async function generateSigningKey(alg: Algorithm = "EdDSA"): Promise<PrivateJwk> {
  const { privateKey } = await generateKeyPair(alg === "EdDSA" ? "Ed25519" : "ES256", { extractable: true });
  const jwk = (await exportJWK(privateKey)) as Record<string, string>;
  const kid = await calculateJwkThumbprint({ kty: jwk.kty!, crv: jwk.crv!, x: jwk.x!, ...(jwk.y ? { y: jwk.y } : {}) });
  return { ...jwk, kid, alg, use: "sig" };
}

/**
 * The private JWKs of a SIGNING_KEYS value (`{"keys":[…]}`, the first the signer), checked.
 * Messages name the problem, never a key member: they end up in logs.
 */
export function parseSigningKeysSecret(raw: string): PrivateJwk[] {
  let parsed: unknown;
  try {
    parsed = JSON.parse(raw);
  } catch {
    throw new ConfigError("SIGNING_KEYS is not valid JSON");
  }
  const keys = (parsed as { keys?: unknown } | null)?.keys;
  if (!Array.isArray(keys) || keys.length === 0) {
    throw new ConfigError('SIGNING_KEYS must be a JWK set: {"keys":[...]} with at least one key');
  }
  const kids = new Set<string>();
  return keys.map((k: unknown, i) => {
    const jwk = k as Record<string, unknown>;
    if (typeof jwk !== "object" || jwk === null) throw new ConfigError(`SIGNING_KEYS key ${i} is not an object`);
    if (typeof jwk.kid !== "string" || jwk.kid === "") throw new ConfigError(`SIGNING_KEYS key ${i} has no kid`);
    if (kids.has(jwk.kid)) throw new ConfigError(`SIGNING_KEYS has two keys with kid ${jwk.kid}`);
    if (typeof jwk.d !== "string") throw new ConfigError(`SIGNING_KEYS key ${jwk.kid} is not a private key`);
    if (!algorithmOf(jwk)) throw new ConfigError(`SIGNING_KEYS key ${jwk.kid} is not an EdDSA (Ed25519) or ES256 (P-256) key`);
    kids.add(jwk.kid);
    return jwk as PrivateJwk;
  });
}

/** Only the public members: a private member can never reach the JWKS. */
export function publicHalf(jwk: PrivateJwk): PublicJwk {
  const alg = algorithmOf(jwk)!;
  const pub: PublicJwk = { kty: String(jwk.kty), crv: String(jwk.crv), x: String(jwk.x), kid: jwk.kid, alg, use: "sig" };
  if (jwk.kty === "EC") pub.y = String(jwk.y);
  return pub;
}

/** The private members a signature needs, and no more. */
export function privateMembers(jwk: PrivateJwk): PrivateJwk {
  const { kty, crv, x, y, d, kid } = jwk;
  return { kty, crv, x, ...(y === undefined ? {} : { y }), d, kid } as PrivateJwk;
}

/** A private JWK as a CryptoKey that cannot be exported; undefined when it is not a usable key (no cause: it could describe the key). */
export async function importPrivateKey(jwk: Record<string, unknown>, alg: Algorithm): Promise<CryptoKey | undefined> {
  const { kty, crv, x, y, d } = jwk;
  try {
    return (await importJWK({ kty, crv, x, y, d } as JWK, alg)) as CryptoKey;
  } catch {
    return undefined;
  }
}
