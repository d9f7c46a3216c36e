import { base64url } from "jose";
import { type Kek, kekOf } from "../lib/kek.ts";
import { KV_DOCUMENT_LIFETIME_SECONDS, KV_RECORD_LIFETIME_SECONDS } from "../lib/limits.ts";
import { APP_KEY_ID_PREFIX, CLIENT_PREFIX, CUTOFFS_KEY, DELETED_PREFIX, SIGNING_KEYS_KEY, STATUS_LIST_PREFIX } from "./kv-keys.ts";

/**
 * KV is a cache the edge checks, never an authority it believes (docs/security.md, "Who can
 * write what"): every value the registry writes there is stated in an envelope that only a
 * holder of SIGNING_KEY_KEK can make,
 *
 *   et1.<iat>.<exp>.<mac>.<payload>
 *
 * `iat`: when the registry changed the value (epoch ms, rising with every change of that KV
 * key); `exp`: epoch seconds after which the value must not be relied on (0: never), so that a
 * copy someone kept and puts back is refused once its time is up; `mac`: HMAC-SHA-256 over the
 * KV key, iat, exp and payload, under a key derived from the KEK for the value's purpose (one
 * HKDF label per kind of value). A value moved to another KV key, a payload or time changed,
 * or a value made without the KEK does not open.
 */

/** What a value states, as its writer stated it. */
export interface Stated {
  /** The value itself: JSON, or for the id index a client_id. */
  payload: string;
  /** epoch ms: the registry's change the value carries; a newer change has a greater iat. */
  iat: number;
  /** epoch seconds after which it is not relied on; 0: never. */
  exp: number;
}

export type Refusal = "malformed" | "unauthentic" | "expired";
export type Opened = { ok: true; stated: Stated } | { ok: false; why: Refusal };

const VERSION = "et1";
const encoder = new TextEncoder();

interface Purpose {
  /** The HKDF label of its MAC key. */
  label: string;
  /** How long a copy may be relied on after it is written (0: for good); the registry writes it again halfway. */
  lifetimeSeconds: number;
}

/**
 * The purpose of the value at a KV key. The id index and tombstones never change once written,
 * and a tombstone only ever refuses; records and shared documents expire and are written again.
 */
export function purposeOf(key: string): Purpose {
  if (key === SIGNING_KEYS_KEY) return { label: "edge-token kv signing-keys", lifetimeSeconds: KV_DOCUMENT_LIFETIME_SECONDS };
  if (key === CUTOFFS_KEY) return { label: "edge-token kv cutoffs", lifetimeSeconds: KV_DOCUMENT_LIFETIME_SECONDS };
  if (key.startsWith(STATUS_LIST_PREFIX)) return { label: "edge-token kv status-list", lifetimeSeconds: KV_DOCUMENT_LIFETIME_SECONDS };
  if (key.startsWith(CLIENT_PREFIX)) return { label: "edge-token kv application-key", lifetimeSeconds: KV_RECORD_LIFETIME_SECONDS };
  if (key.startsWith(APP_KEY_ID_PREFIX)) return { label: "edge-token kv key-index", lifetimeSeconds: 0 };
  if (key.startsWith(DELETED_PREFIX)) return { label: "edge-token kv tombstone", lifetimeSeconds: 0 };
  throw new TypeError(`no authenticated value is kept at ${key.slice(0, 40)}`);
}

/** Whether the value at `key` is one the registry authenticates (the legacy `jti:` keys are not: no reader of this version reads them). */
export function isAuthenticated(key: string): boolean {
  try {
    purposeOf(key);
    return true;
  } catch {
    return false;
  }
}

/** The envelope for `payload` at `key`. */
export async function seal(kek: Kek, key: string, s: Stated): Promise<string> {
  const mac = await crypto.subtle.sign("HMAC", await kek.mac(purposeOf(key).label), signed(key, s));
  return `${VERSION}.${s.iat}.${s.exp}.${base64url.encode(new Uint8Array(mac))}.${s.payload}`;
}

/** What the envelope at `key` states, if the KEK made it for this key and its time is not up at `now` (epoch seconds). */
export async function open(kek: Kek, key: string, text: string, now: number): Promise<Opened> {
  const m = /^et1\.(\d{1,16})\.(\d{1,12})\.([A-Za-z0-9_-]{43})\./.exec(text);
  if (!m) return { ok: false, why: "malformed" };
  const s: Stated = { payload: text.slice(m[0].length), iat: Number(m[1]), exp: Number(m[2]) };
  let mac: Uint8Array;
  try {
    mac = base64url.decode(m[3]!);
  } catch {
    return { ok: false, why: "malformed" };
  }
  const good = await crypto.subtle.verify("HMAC", await kek.mac(purposeOf(key).label), mac as Uint8Array<ArrayBuffer>, signed(key, s));
  if (!good) return { ok: false, why: "unauthentic" };
  if (s.exp !== 0 && now > s.exp) return { ok: false, why: "expired" };
  return { ok: true, stated: s };
}

/**
 * The payload `text` states at `key` when it checks out under the KEK `secret` at `now`;
 * undefined when it does not, or there is no usable KEK. For readers outside an isolate's
 * request path: the registry's first-start import, the CLI, the tests.
 */
export async function checkedPayload(secret: string | undefined, key: string, text: string, now: number): Promise<string | undefined> {
  const kek = await kekOf(secret).catch(() => undefined);
  const opened = kek && (await open(kek, key, text, now));
  return opened?.ok ? opened.stated.payload : undefined;
}

/** The KV key is in what is signed: a value cannot be moved to another key. No key holds a newline. */
const signed = (key: string, s: Stated) => encoder.encode(`${VERSION}\n${key}\n${s.iat}\n${s.exp}\n${s.payload}`);
