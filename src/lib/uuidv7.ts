import { randomBytes, toHex } from "./random.ts";

/**
 * A UUIDv7 (RFC 9562): random, yet ordered by creation time, so listing the id index in key
 * order lists keys oldest first without reading every record.
 */
export function uuidv7(ms = Date.now()): string {
  const b = randomBytes(16);
  for (let i = 5; i >= 0; i--) {
    b[i] = ms % 256;
    ms = Math.floor(ms / 256);
  }
  b[6] = (b[6]! & 0x0f) | 0x70;
  b[8] = (b[8]! & 0x3f) | 0x80;
  const h = toHex(b);
  return `${h.slice(0, 8)}-${h.slice(8, 12)}-${h.slice(12, 16)}-${h.slice(16, 20)}-${h.slice(20)}`;
}
