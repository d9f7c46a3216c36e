import { MAX_TOKEN_LENGTH } from "../lib/limits.ts";

// The signature may be empty: an unsecured JWT (alg none) is well-formed, and refused for its alg.
const SHAPE = /^[A-Za-z0-9_-]+\.[A-Za-z0-9_-]+\.[A-Za-z0-9_-]*$/;
const ALPHABET = "ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789-_";

export function isCanonicalCompactJws(token: string): boolean {
  if (token.length > MAX_TOKEN_LENGTH || !SHAPE.test(token)) return false;
  let start = 0;
  for (;;) {
    const end = token.indexOf(".", start);
    if (!canonicalSegmentEnd(token, end < 0 ? token.length : end, start)) return false;
    if (end < 0) return true;
    start = end + 1;
  }
}

// A segment of length 4n+1 cannot encode whole bytes; 4n+2 leaves 4 unused bits in its last
// character and 4n+3 leaves 2: they must be zero.
function canonicalSegmentEnd(token: string, end: number, start: number): boolean {
  const rest = (end - start) % 4;
  if (rest === 0) return true;
  if (rest === 1) return false;
  const value = ALPHABET.indexOf(token[end - 1]!);
  return (value & (rest === 2 ? 0x0f : 0x03)) === 0;
}
