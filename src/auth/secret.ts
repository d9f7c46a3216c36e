import { base64url } from "jose";
import { sha256 } from "../lib/sha256.ts";

// Compared against when the client is unknown, so that the secret check itself costs the same
// either way. That does not hide whether a client_id exists (the implicit grant answers it,
// and KV timing differs), nor need it: client_ids are random and public (docs/security.md).
const DUMMY_DIGEST = new Uint8Array(32);
const DUMMY_HASH = base64url.encode(DUMMY_DIGEST);

/**
 * Whether `secret` hashes to `storedHash`, or to `previousHash` (the secret a rotation replaced,
 * while its overlap lasts). The same work whatever is stored: one hash, two digests decoded and
 * two constant-time compares, against a dummy digest where there is none.
 */
export async function secretMatches(secret: string, storedHash: string | undefined, previousHash?: string): Promise<boolean> {
  const digest = await sha256(secret);
  const stored = decodeDigest(storedHash ?? DUMMY_HASH);
  const previous = decodeDigest(previousHash ?? DUMMY_HASH);
  const current = crypto.subtle.timingSafeEqual(digest, stored ?? DUMMY_DIGEST);
  const old = crypto.subtle.timingSafeEqual(digest, previous ?? DUMMY_DIGEST);
  return (current && storedHash !== undefined && stored !== undefined) || (old && previousHash !== undefined && previous !== undefined);
}

/** Digests decoded before, by their base64url text: a key's digest is decoded once per isolate, as the dummy is. */
const decoded = new Map<string, Uint8Array | undefined>();
const MAX_DECODED = 10_000;

function decodeDigest(hash: string): Uint8Array | undefined {
  const held = decoded.get(hash);
  if (held !== undefined || decoded.has(hash)) return held;
  const bytes = decodeOnce(hash);
  if (decoded.size >= MAX_DECODED) decoded.clear();
  decoded.set(hash, bytes);
  return bytes;
}

function decodeOnce(hash: string): Uint8Array | undefined {
  try {
    // jose decodes with the runtime's native Uint8Array.fromBase64 where there is one.
    const bytes = base64url.decode(hash);
    return bytes.byteLength === 32 ? bytes : undefined;
  } catch {
    return undefined;
  }
}
