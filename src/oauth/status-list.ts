import { base64url } from "jose";
import { deflate, inflate } from "../lib/deflate.ts";

/**
 * A status list's byte array (draft-ietf-oauth-status-list §4.1) and its JSON form (§4.2):
 * `bits` bits per token, token `idx` in byte floor(idx·bits/8), packed from the least
 * significant bit up; compressed with DEFLATE in ZLIB, base64url-encoded as `lst`. The service
 * writes lists of one bit per token (0 VALID, 1 INVALID: §7.1); it reads any width.
 */
export interface StatusListJson {
  bits: 1 | 2 | 4 | 8;
  lst: string;
}

/** A decoded list: its width and byte array. */
export interface StatusList {
  bits: 1 | 2 | 4 | 8;
  bytes: Uint8Array;
}

const WIDTHS = new Set([1, 2, 4, 8]);

/** §7.1: 0x00 VALID. Any other value (INVALID, SUSPENDED, application-specific) is not valid. */
export const VALID = 0;

/** The status value of `idx`, or undefined when the list has no such index (§8.3: then the token is rejected). */
export function statusAt(list: StatusList, idx: number): number | undefined {
  const bit = idx * list.bits;
  const byte = Math.floor(bit / 8);
  if (!Number.isSafeInteger(idx) || idx < 0 || byte >= list.bytes.length) return undefined;
  return (list.bytes[byte]! >> (bit % 8)) & ((1 << list.bits) - 1);
}

/** An all-VALID list's `lst`, by size: what every new list is, made once. */
const empty = new Map<number, Promise<string>>();

/** A one-bit list of `size` tokens, with the given indices INVALID, in its JSON form. */
export async function encodeList(size: number, revoked: Iterable<number>): Promise<StatusListJson> {
  const bytes = new Uint8Array(Math.ceil(size / 8));
  let any = false;
  for (const idx of revoked) {
    if (idx >= 0 && idx < size) {
      bytes[idx >> 3]! |= 1 << (idx & 7);
      any = true;
    }
  }
  if (any) return { bits: 1, lst: base64url.encode(await deflate(bytes)) };
  let lst = empty.get(size);
  if (!lst) {
    lst = deflate(bytes).then((d) => base64url.encode(d));
    empty.set(size, lst);
  }
  return { bits: 1, lst: await lst };
}

/** The JSON form decoded; throws when it is not a well-formed list of at most `maxBytes`. */
export async function decodeList(json: unknown, maxBytes: number): Promise<StatusList> {
  const { bits, lst } = (json ?? {}) as Partial<StatusListJson>;
  if (!WIDTHS.has(bits as number) || typeof lst !== "string" || !/^[A-Za-z0-9_-]+$/.test(lst)) {
    throw new TypeError("not a status list (draft-ietf-oauth-status-list §4.2)");
  }
  return { bits: bits!, bytes: await inflate(base64url.decode(lst), maxBytes) };
}
