import { base64url } from "jose";
import { SigningUnavailableError } from "./errors.ts";

/**
 * SIGNING_KEY_KEK, the deployment's one key-encryption key (32 random bytes, base64url), and the
 * keys made from it. It seals the private signing keys (AES-256-GCM, tokens/key-seal.ts) and,
 * through HKDF with a label per purpose, authenticates every value the registry writes to KV
 * (store/authenticated.ts): one secret, never used twice for the same job. Neither the KEK nor
 * anything made from it ever reaches a log line or an error message: errors name the KEK's
 * fingerprint, a hash that says which KEK without saying anything of it.
 */
export interface Kek {
  /** The KEK itself as an AES-GCM key: sealing the private signing keys. */
  aes: CryptoKey;
  /** 16 hex digits of SHA-256 over a label and the KEK: which KEK did what, safe to print. */
  fingerprint: string;
  /** An HMAC-SHA-256 key of its own for `label` (HKDF-SHA-256), made once per label. */
  mac(label: string): Promise<CryptoKey>;
}

const encoder = new TextEncoder();
/** HKDF's salt: this application's, so that no other use of the same bytes derives the same keys. */
const SALT = encoder.encode("edge-token SIGNING_KEY_KEK v1");

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
  let raw: Uint8Array<ArrayBuffer>;
  try {
    raw = base64url.decode(text) as Uint8Array<ArrayBuffer>;
  } catch {
    raw = new Uint8Array(0);
  }
  if (raw.byteLength !== 32 || !/^[A-Za-z0-9_-]{43}$/.test(text)) {
    throw new SigningUnavailableError("SIGNING_KEY_KEK must be 32 random bytes in base64url (43 characters)");
  }
  const aes = await crypto.subtle.importKey("raw", raw, "AES-GCM", false, ["encrypt", "decrypt"]);
  const hkdf = await crypto.subtle.importKey("raw", raw, "HKDF", false, ["deriveKey"]);
  const digest = new Uint8Array(await crypto.subtle.digest("SHA-256", concat(encoder.encode("edge-token SIGNING_KEY_KEK\n"), raw)));
  const fingerprint = [...digest.slice(0, 8)].map((b) => b.toString(16).padStart(2, "0")).join("");
  const macs = new Map<string, Promise<CryptoKey>>();
  return {
    aes,
    fingerprint,
    mac(label) {
      let key = macs.get(label);
      if (!key) {
        key = crypto.subtle.deriveKey(
          { name: "HKDF", hash: "SHA-256", salt: SALT, info: encoder.encode(label) },
          hkdf,
          { name: "HMAC", hash: "SHA-256", length: 256 },
          false,
          ["sign", "verify"],
        );
        macs.set(label, key);
      }
      return key;
    },
  };
}

function concat(a: Uint8Array, b: Uint8Array): Uint8Array<ArrayBuffer> {
  const out = new Uint8Array(a.byteLength + b.byteLength);
  out.set(a);
  out.set(b, a.byteLength);
  return out;
}
