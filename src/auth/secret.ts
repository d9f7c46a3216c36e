import { base64url } from "jose";
import { sha256 } from "../lib/sha256.ts";

// Compared against when the client is unknown, so that the secret check itself costs the same
// either way. That does not hide whether a client_id exists (the implicit grant answers it,
// and KV timing differs), nor need it: client_ids are random and public (docs/security.md).
const DUMMY_DIGEST = new Uint8Array(32);

/** Whether `secret` hashes to `storedHash`; does the same work when there is no stored hash. */
export async function secretMatches(secret: string, storedHash: string | undefined): Promise<boolean> {
  const digest = await sha256(secret);
  const stored = storedHash === undefined ? undefined : decodeDigest(storedHash);
  const equal = crypto.subtle.timingSafeEqual(digest, stored ?? DUMMY_DIGEST);
  return equal && stored !== undefined;
}

function decodeDigest(hash: string): Uint8Array | undefined {
  try {
    // jose decodes with the runtime's native Uint8Array.fromBase64 where there is one.
    const bytes = base64url.decode(hash);
    return bytes.byteLength === 32 ? bytes : undefined;
  } catch {
    return undefined;
  }
}
