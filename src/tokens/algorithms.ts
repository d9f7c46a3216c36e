// jose's CryptoKey is the runtime's own where it has one, so these types read the same in a
// Worker, under lib.dom and on Node without it (the installed package's declarations name it).
import type { CryptoKey } from "jose";

/**
 * The only algorithms this service signs with or accepts. Required, never defaulted from a
 * token's header: `none` and HS* can never pass.
 */
const ALGORITHMS = ["EdDSA", "ES256"] as const;
export type Algorithm = (typeof ALGORITHMS)[number];

/** A public key ready to verify with, and the one algorithm it may be used for. */
export interface VerificationKey {
  alg: Algorithm;
  key: CryptoKey;
}

/** A private key ready to sign with: what tokens and status documents name in their header. */
export interface Signer {
  kid: string;
  alg: Algorithm;
  key: CryptoKey;
}

export function isAlgorithm(alg: unknown): alg is Algorithm {
  return alg === "EdDSA" || alg === "ES256";
}

/** The algorithm a JWK is for: its `alg`, or what its curve implies. */
export function algorithmOf(jwk: Readonly<Record<string, unknown>>): Algorithm | undefined {
  if (jwk.alg !== undefined) {
    if (!isAlgorithm(jwk.alg)) return undefined;
    return curveFits(jwk, jwk.alg) ? jwk.alg : undefined;
  }
  if (curveFits(jwk, "EdDSA")) return "EdDSA";
  if (curveFits(jwk, "ES256")) return "ES256";
  return undefined;
}

function curveFits(jwk: Readonly<Record<string, unknown>>, alg: Algorithm): boolean {
  return alg === "EdDSA" ? jwk.kty === "OKP" && jwk.crv === "Ed25519" : jwk.kty === "EC" && jwk.crv === "P-256";
}
