import { importJWK, type JWK } from "jose";
import { ConfigError } from "../lib/errors.ts";
import { TtlCache } from "../lib/ttl-cache.ts";
import { type Algorithm, algorithmOf, type VerificationKey } from "./algorithms.ts";
import type { VerifiedTokens } from "./verify-access-token.ts";

export type { VerificationKey } from "./algorithms.ts";

export interface PublicJwk {
  kty: string;
  crv: string;
  x: string;
  y?: string;
  kid: string;
  alg: Algorithm;
  use: "sig";
}

export interface KeySet {
  signer: { kid: string; alg: Algorithm; key: CryptoKey };
  /** Every configured key by kid: tokens of a previous signer verify until they expire. */
  verifiers: ReadonlyMap<string, VerificationKey>;
  jwks: { keys: PublicJwk[] };
  /** The JWKS document, serialised once. */
  jwksJson: string;
  /** Tokens verified against this key set; a new key set starts empty. */
  verified: VerifiedTokens;
}

// Importing keys costs more than signing with them, so the set is imported once per isolate
// and again only when the secret's text changes.
let cached: { raw: string; keys: Promise<KeySet> } | undefined;

export function keySet(raw: string | undefined): Promise<KeySet> {
  if (cached !== undefined && cached.raw === raw) return cached.keys;
  if (raw === undefined || raw.trim() === "") return Promise.reject(new ConfigError("SIGNING_KEYS is not set"));
  cached = { raw, keys: importSigningKeys(raw) };
  return cached.keys;
}

async function importSigningKeys(raw: string): Promise<KeySet> {
  const privateJwks = parsePrivateJwks(raw);
  const verifiers = new Map<string, VerificationKey>();
  const publicJwks: PublicJwk[] = [];
  for (const jwk of privateJwks) {
    const pub = publicHalf(jwk);
    publicJwks.push(pub);
    verifiers.set(pub.kid, { alg: pub.alg, key: await importPublic(pub) });
  }
  const first = privateJwks[0]!;
  const signerPub = publicJwks[0]!;
  const signer = { kid: signerPub.kid, alg: signerPub.alg, key: await importPrivate(first, signerPub.alg) };
  const jwks = { keys: publicJwks };
  return { signer, verifiers, jwks, jwksJson: JSON.stringify(jwks), verified: new TtlCache(5_000) };
}

type PrivateJwk = Record<string, unknown> & { kid: string };

// Error messages name the problem, never a key member: they end up in logs.
function parsePrivateJwks(raw: string): PrivateJwk[] {
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
function publicHalf(jwk: PrivateJwk): PublicJwk {
  const alg = algorithmOf(jwk)!;
  const pub: PublicJwk = { kty: String(jwk.kty), crv: String(jwk.crv), x: String(jwk.x), kid: jwk.kid, alg, use: "sig" };
  if (jwk.kty === "EC") pub.y = String(jwk.y);
  return pub;
}

async function importPublic(jwk: PublicJwk): Promise<CryptoKey> {
  try {
    return (await importJWK(jwk as JWK, jwk.alg)) as CryptoKey;
  } catch (cause) {
    throw new ConfigError(`key ${jwk.kid} could not be imported`, { cause });
  }
}

async function importPrivate(jwk: PrivateJwk, alg: Algorithm): Promise<CryptoKey> {
  const { kty, crv, x, y, d } = jwk;
  try {
    return (await importJWK({ kty, crv, x, y, d } as JWK, alg)) as CryptoKey;
  } catch {
    // No cause: the import error could describe the private key material.
    throw new ConfigError(`SIGNING_KEYS key ${jwk.kid} could not be imported`);
  }
}
