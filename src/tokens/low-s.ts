import { base64url } from "jose";

/**
 * ECDSA signatures are malleable: if (r, s) verifies, so does (r, n − s). For ES256 tokens that
 * would be a second canonical spelling of one signed token, so this service signs only the
 * low-S form (s ≤ n/2, as Bitcoin's BIP 146 does) and accepts nothing else.
 */
const P256_N = 0xffffffff00000000ffffffffffffffffbce6faada7179e84f3b9cac2fc632551n;
const HALF_N = P256_N >> 1n;

function toBigInt(bytes: Uint8Array): bigint {
  let n = 0n;
  for (const b of bytes) n = (n << 8n) | BigInt(b);
  return n;
}

/** Whether an ES256 signature (r ‖ s, 64 bytes) is in low-S form. */
export function isLowS(signature: Uint8Array): boolean {
  return signature.byteLength === 64 && toBigInt(signature.subarray(32)) <= HALF_N;
}

/** A compact ES256 JWS with its signature put in low-S form (the same signature, the other twin). */
export function withLowS(jws: string): string {
  const dot = jws.lastIndexOf(".");
  const signature = base64url.decode(jws.slice(dot + 1));
  if (isLowS(signature)) return jws;
  let s = P256_N - toBigInt(signature.subarray(32));
  for (let i = 63; i >= 32; i--) {
    signature[i] = Number(s & 0xffn);
    s >>= 8n;
  }
  return `${jws.slice(0, dot + 1)}${base64url.encode(signature)}`;
}
