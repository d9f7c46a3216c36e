import { base64url } from "jose";
import { SigningUnavailableError } from "../lib/errors.ts";

/**
 * Private signing keys at rest (docs/rotation.md): each private JWK sealed with AES-256-GCM
 * under the key-encryption key SIGNING_KEY_KEK (32 random bytes, base64url), its kid bound in
 * as associated data so that a sealed key cannot be passed off as another kid's. The registry
 * seals; an issuing isolate opens the active key once and keeps only the non-extractable
 * CryptoKey made from it. Neither the KEK nor a private member ever reaches a log line or an
 * error message: errors name the KEK's fingerprint, a hash that says which KEK without
 * saying anything of it.
 */

export interface Kek {
  key: CryptoKey;
  /** 16 hex digits of SHA-256 over a label and the KEK: which KEK sealed what, safe to print. */
  fingerprint: string;
}

const SEAL_PREFIX = "A256GCM";
const encoder = new TextEncoder();
const decoder = new TextDecoder();

// By the secret's text: one entry per deployment in practice.
const keks = new Map<string, Promise<Kek>>();

/** The KEK a secret holds; SigningUnavailableError when it is missing or is not 32 bytes in base64url. */
export function kekOf(secret: string | undefined): Promise<Kek> {
  const text = secret?.trim() ?? "";
  let kek = keks.get(text);
  if (!kek) {
    kek = importKek(text);
    if (keks.size > 4) keks.clear();
    keks.set(text, kek);
  }
  return kek;
}

async function importKek(text: string): Promise<Kek> {
  if (text === "") {
    throw new SigningUnavailableError("SIGNING_KEY_KEK is not set: npm run deploy sets it, npm start writes one into .dev.vars");
  }
  let raw: Uint8Array;
  try {
    raw = base64url.decode(text);
  } catch {
    raw = new Uint8Array(0);
  }
  if (raw.byteLength !== 32 || !/^[A-Za-z0-9_-]{43}$/.test(text)) {
    throw new SigningUnavailableError("SIGNING_KEY_KEK must be 32 random bytes in base64url (43 characters)");
  }
  const key = await crypto.subtle.importKey("raw", raw as Uint8Array<ArrayBuffer>, "AES-GCM", false, ["encrypt", "decrypt"]);
  const digest = new Uint8Array(await crypto.subtle.digest("SHA-256", concat(encoder.encode("edge-token SIGNING_KEY_KEK\n"), raw)));
  const fingerprint = [...digest.slice(0, 8)].map((b) => b.toString(16).padStart(2, "0")).join("");
  return { key, fingerprint };
}

/** A private JWK sealed for its kid: `A256GCM.<iv>.<ciphertext>`. */
export async function seal(kek: Kek, kid: string, jwk: Record<string, unknown>): Promise<string> {
  const iv = crypto.getRandomValues(new Uint8Array(12));
  const sealed = await crypto.subtle.encrypt(
    { name: "AES-GCM", iv, additionalData: associatedData(kid) },
    kek.key,
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
      kek.key,
      base64url.decode(data),
    );
    return JSON.parse(decoder.decode(plain)) as Record<string, unknown>;
  } catch {
    // No cause: nothing about the key material belongs in a log.
    throw new SigningUnavailableError(`signing key ${kid} could not be opened with SIGNING_KEY_KEK ${kek.fingerprint}`);
  }
}

const associatedData = (kid: string) => encoder.encode(`edge-token signing key ${kid}`);

function concat(a: Uint8Array, b: Uint8Array): Uint8Array<ArrayBuffer> {
  const out = new Uint8Array(a.byteLength + b.byteLength);
  out.set(a);
  out.set(b, a.byteLength);
  return out;
}
