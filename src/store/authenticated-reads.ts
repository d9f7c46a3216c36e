import { base64url } from "jose";
import { type Kek, kekOf } from "../lib/kek.ts";
import { KV_DOCUMENT_LIFETIME_SECONDS } from "../lib/limits.ts";
import { sha256 } from "../lib/sha256.ts";
import { nowSeconds } from "../lib/time.ts";
import { TtlCache } from "../lib/ttl-cache.ts";
import { open, purposeOf, type Refusal, type Stated } from "./authenticated.ts";
import type { Kv } from "./kv.ts";

/**
 * How an isolate reads what the registry wrote to KV: the envelope checked (store/authenticated.ts)
 * before anything in it is used, and never a value older than one this isolate has already
 * taken for that key, so a copy put back does not move it back in time. A value refused is
 * logged once (its KV key and why, never the value) and answered `refused`: the caller then
 * asks the registry, whose SQLite is the authority, or keeps the last good copy it holds.
 */
export type Checked = { stated: Stated } | { absent: true } | { refused: Refusal | "older" | "no_kek" };

/**
 * The newest iat taken per KV key. Key records are bounded (an isolate forgetting one only
 * takes an older copy that is still within its `exp`, and not below the record floors); the
 * shared documents (the signing keys, the cut-offs, the status lists) are few and kept apart,
 * so that no flood of client_ids can push them out.
 */
const newest = new Map<string, number>();
const newestDocuments = new Map<string, number>();
const MAX_KEYS = 20_000;
const MAX_DOCUMENTS = 2_000;
const mapOf = (key: string) => (purposeOf(key).lifetimeSeconds === KV_DOCUMENT_LIFETIME_SECONDS ? newestDocuments : newest);
/** Values refused and logged already, by a digest of key and value. */
const logged = new TtlCache<true>(1_000);

/**
 * The value at `key`, checked. `notBefore` (epoch ms): a change time below which a copy is stale
 * whatever this isolate has seen (the record floors the cut-offs publish).
 */
export async function readChecked(kv: Pick<Kv, "get">, kekSecret: string | undefined, key: string, notBefore = 0): Promise<Checked> {
  const text = await kv.get(key);
  if (text === null) return { absent: true };
  let kek: Kek;
  try {
    kek = await kekOf(kekSecret);
  } catch {
    // Nothing can be checked without the KEK: the registry's copy serves (its reason is on the signing path's log line).
    return { refused: "no_kek" };
  }
  const opened = await open(kek, key, text, nowSeconds());
  if (!opened.ok) return refuse(key, text, opened.why);
  if (opened.stated.iat < Math.max(notBefore, mapOf(key).get(key) ?? 0)) return refuse(key, text, "older");
  taken(key, opened.stated.iat);
  return { stated: opened.stated };
}

/** The registry's own copy: the authority, so whatever it says is the newest from now on. */
export function takenFromRegistry(key: string, iat: number): void {
  mapOf(key).delete(key);
  taken(key, iat);
}

function taken(key: string, iat: number): void {
  const map = mapOf(key);
  const max = map === newest ? MAX_KEYS : MAX_DOCUMENTS;
  if (iat <= (map.get(key) ?? 0)) return;
  map.delete(key); // the newest entry last, in the Map's insertion order
  if (map.size >= max) for (const k of [...map.keys()].slice(0, max / 10)) map.delete(k);
  map.set(key, iat);
}

async function refuse(key: string, text: string, why: Refusal | "older"): Promise<Checked> {
  const id = base64url.encode(await sha256(`${key}\n${text}`));
  if (!logged.get(id)) {
    logged.set(id, true, 3600_000);
    // An older copy is what a lagging location may serve too; anything else was not written by the registry.
    const line = { level: why === "older" ? "warn" : "error", kv: "value refused; the registry's copy is used", key, why };
    (why === "older" ? console.warn : console.error)(JSON.stringify(line));
  }
  return { refused: why };
}
