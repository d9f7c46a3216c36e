import { base64url } from "jose";
import { SigningUnavailableError } from "../lib/errors.ts";
import type { Kek } from "../lib/kek.ts";

/**
 * Private signing keys at rest (docs/rotation.md): each private JWK sealed with AES-256-GCM
 * under the key-encryption key SIGNING_KEY_KEK (32 random bytes, base64url), its kid bound in
 * as associated data so that a sealed key cannot be passed off as another kid's. The registry
 * seals; an issuing isolate opens the active key once and keeps only the non-extractable
 * CryptoKey made from it. No private member ever reaches a log line or an error message
 * (lib/kek.ts says the same of the KEK).
 */

const SEAL_PREFIX = "A256GCM";
const encoder = new TextEncoder();
const decoder = new TextDecoder();

/** A private JWK sealed for its kid: `A256GCM.<iv>.<ciphertext>`. */
export async function seal(kek: Kek, kid: string, jwk: Record<string, unknown>): Promise<string> {
  const iv = crypto.getRandomValues(new Uint8Array(12));
  const sealed = await crypto.subtle.encrypt(
    { name: "AES-GCM", iv, additionalData: associatedData(kid) },
    kek.aes,
    encoder.encode(JSON.stringify(jwk)),
  );
  return `${SEAL_PREFIX}.${base64url.encode(iv)}.${base64url.encode(new Uint8Array(sealed))}`;
}

/** The private JWK sealed for `kid`; SigningUnavailableError when this KEK did not seal it (or it was altered). */
export async function unseal(kek: Kek, kid: string, sealed: string): Promise<Record<string, unknown>> {
  const [prefix, iv, data, ...rest] = sealed.split(".");
  try {
    if (prefix !== SEAL_PREFIX || iv === undefined || data === undefined || rest.length > 0) throw new Error("not a sealed key");
    const plain = await crypto.subtle.decrypt(
      { name: "AES-GCM", iv: base64url.decode(iv), additionalData: associatedData(kid) },
      kek.aes,
      base64url.decode(data),
    );
    return JSON.parse(decoder.decode(plain)) as Record<string, unknown>;
  } catch {
    // No cause: nothing about the key material belongs in a log.
    throw new SigningUnavailableError(`signing key ${kid} could not be opened with SIGNING_KEY_KEK ${kek.fingerprint}`);
  }
}

const associatedData = (kid: string) => encoder.encode(`edge-token signing key ${kid}`);
