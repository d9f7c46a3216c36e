import { base64url, importJWK, type JWK } from "jose";
import { MAX_CLIENT_KEYS, MAX_RSA_BITS, MIN_RSA_BITS } from "../lib/limits.ts";
import type { ClientJwks, PublicJwk } from "../store/application-keys.ts";

/**
 * Keys that clients sign with: a private_key_jwt key's registered `jwks`, and the key in a DPoP
 * proof's header. Asymmetric only, from this allow-list; a key names (or implies) the one
 * algorithm it may be used with, never the token's header.
 */
export const CLIENT_ALGORITHMS = ["EdDSA", "Ed25519", "ES256", "PS256"] as const;
export type ClientAlgorithm = "EdDSA" | "ES256" | "PS256";

/**
 * The algorithms a JWS made with a key of `alg` may name: an Ed25519 key signs as EdDSA or, in
 * RFC 9864's fully-specified spelling that clients such as oauth4webapi use, Ed25519.
 */
export const jwsAlgorithmsFor = (alg: ClientAlgorithm): string[] => (alg === "EdDSA" ? ["EdDSA", "Ed25519"] : [alg]);

/** JWK members that only a private or symmetric key has. */
const SECRET_MEMBERS = ["d", "p", "q", "dp", "dq", "qi", "oth", "k"];

export type ClientJwk = Record<string, unknown> & { kty: string; alg: ClientAlgorithm; kid?: string };

const B64URL = /^[A-Za-z0-9_-]+$/;

/**
 * A public JWK this service will verify a client's signatures with, with its algorithm made
 * explicit; or why not (a reason safe to show: it never echoes the key).
 */
export function clientJwk(value: unknown): ClientJwk | string {
  if (typeof value !== "object" || value === null || Array.isArray(value)) return "a key is not a JSON object";
  const jwk = value as Record<string, unknown>;
  if (SECRET_MEMBERS.some((m) => m in jwk))
    return jwk.kty === "oct" ? "symmetric keys are not accepted" : "private key members are not accepted";
  if (jwk.use !== undefined && jwk.use !== "sig") return 'a key\'s "use" must be "sig"';
  const alg = algorithmOf(jwk);
  if (alg === undefined) return "a key must be Ed25519 (EdDSA), P-256 (ES256) or RSA of 2048 to 4096 bits with alg PS256";
  if (alg === "PS256") {
    const refused = rsaRefusal(jwk.n as string, jwk.e as string);
    if (refused !== undefined) return refused;
  }
  return { ...jwk, kty: jwk.kty as string, alg };
}

/**
 * Why an RSA public key is too costly to verify with, or undefined: its modulus's exact bit
 * length, from its minimal big-endian octets (RFC 7518 §6.3.1.1), must be MIN_RSA_BITS to
 * MAX_RSA_BITS, and its exponent 65537. Decided before anything is imported or verified.
 */
function rsaRefusal(n: string, e: string): string | undefined {
  if (e !== "AQAB") return 'an RSA key\'s exponent must be 65537 ("AQAB")';
  const range = `an RSA key must have a modulus of ${MIN_RSA_BITS} to ${MAX_RSA_BITS} bits`;
  // base64url of k octets is ceil(4k / 3) characters
  // Four times the longest modulus taken: the bit count below is exact, and nothing larger is decoded.
  if (n.length > 4 * Math.ceil(((MAX_RSA_BITS / 8) * 4) / 3)) return `${range}, not more than ${4 * MAX_RSA_BITS}`;
  let octets: Uint8Array;
  try {
    octets = base64url.decode(n);
  } catch {
    return "an RSA key's modulus is not base64url";
  }
  if (octets.length === 0 || octets[0] === 0) return `${range}, without leading zero octets`;
  const bits = (octets.length - 1) * 8 + (32 - Math.clz32(octets[0]!));
  return bits < MIN_RSA_BITS || bits > MAX_RSA_BITS ? `${range}, not ${bits}` : undefined;
}

function algorithmOf(jwk: Record<string, unknown>): ClientAlgorithm | undefined {
  const b64 = (v: unknown) => typeof v === "string" && B64URL.test(v);
  const named = jwk.alg;
  if (jwk.kty === "OKP" && jwk.crv === "Ed25519" && b64(jwk.x) && (named === undefined || named === "EdDSA" || named === "Ed25519")) {
    return "EdDSA";
  }
  if (jwk.kty === "EC" && jwk.crv === "P-256" && b64(jwk.x) && b64(jwk.y) && (named === undefined || named === "ES256")) return "ES256";
  // An RSA key could be meant for RS256 too: it must name PS256 itself.
  if (jwk.kty === "RSA" && named === "PS256" && b64(jwk.n) && b64(jwk.e)) return "PS256";
  return undefined;
}

/** Imports a checked key for verifying, for its one algorithm. Throws if the runtime refuses it. */
export async function importClientKey(jwk: ClientJwk): Promise<CryptoKey> {
  const { alg, kty, crv, x, y, n, e } = jwk;
  const publicOnly = { kty, alg: alg === "EdDSA" ? "EdDSA" : alg, crv, x, y, n, e } as JWK;
  return (await importJWK(publicOnly, alg)) as CryptoKey;
}

/** A key as an error names it: by its kid when that is short, printable text, else by its place in the set. */
function keyName(k: unknown, i: number): string {
  const kid = typeof k === "object" && k !== null ? (k as { kid?: unknown }).kid : undefined;
  return typeof kid === "string" && /^[\x20-\x7e]{1,64}$/.test(kid) && !kid.includes('"') ? `key "${kid}"` : `key ${i + 1}`;
}

/**
 * A `jwks` attribute: `{"keys":[…]}`, one to MAX_CLIENT_KEYS public keys, each with a distinct
 * `kid`. Returns the keys as stored, or the reason for a 400.
 */
export function clientJwks(value: unknown): { keys: ClientJwk[] } | string {
  const keys = typeof value === "object" && value !== null && !Array.isArray(value) ? (value as { keys?: unknown }).keys : undefined;
  if (!Array.isArray(keys) || keys.length === 0 || keys.length > MAX_CLIENT_KEYS) {
    return `it must be {"keys":[…]} with 1 to ${MAX_CLIENT_KEYS} public keys`;
  }
  const out: ClientJwk[] = [];
  for (const [i, k] of keys.entries()) {
    const jwk = clientJwk(k);
    if (typeof jwk === "string") return `${keyName(k, i)}: ${jwk}`;
    if (typeof jwk.kid !== "string" || jwk.kid === "" || jwk.kid.length > 128) return 'each key needs a "kid" of 1 to 128 characters';
    if (out.some((o) => o.kid === jwk.kid)) return "two keys have the same kid";
    out.push(jwk);
  }
  return { keys: out };
}

/**
 * A `jwks` attribute ready to store: checked as `clientJwks` does, each key imported once (so a
 * key the runtime cannot use is refused now, not at the key's first assertion), and only the
 * public members kept. Or the reason to refuse it.
 */
export async function usableJwks(value: unknown): Promise<ClientJwks | string> {
  const checked = clientJwks(value);
  if (typeof checked === "string") return checked;
  for (const key of checked.keys) {
    try {
      await importClientKey(key);
    } catch {
      return "a key could not be imported";
    }
  }
  const keys = checked.keys.map(
    ({ kty, kid, alg, use, crv, x, y, n, e }) => JSON.parse(JSON.stringify({ kty, kid, alg, use, crv, x, y, n, e })) as PublicJwk,
  );
  return { keys };
}
