import type { Env } from "../config/settings.ts";
import { KV_RECORD_LIFETIME_SECONDS } from "../lib/limits.ts";
import { TtlCache } from "../lib/ttl-cache.ts";
import type { ApplicationKey } from "./application-keys.ts";
import { readChecked, takenFromRegistry } from "./authenticated-reads.ts";
import { clientsKv } from "./bindings.ts";
import { CLIENT_ID_PATTERN, clientKey, deletedClientKey } from "./kv-keys.ts";
import { registry } from "./registry.ts";
import { cutoffsDocument } from "./status-documents.ts";

/**
 * Application keys as the token path reads them: KV's copy, authenticated (a record someone
 * wrote or changed there without the KEK is never used), kept per isolate for
 * CLIENT_CACHE_SECONDS, since a KV read costs more than everything else an issuance does.
 * Only records that exist are cached from KV, so a new client works at once. A deleted client's
 * record may linger in other isolates for the TTL; the deletion revokes every token issued that
 * long after it (see the registry's remove).
 */
const cache = new TtlCache<ApplicationKey | null>();

/**
 * The record for a client_id, or null when there is none, it was deleted, or the id cannot be
 * one of ours. The tombstone is read only when a record exists: an unknown id costs one read.
 * A record or tombstone that does not check out is asked of the registry instead (which is
 * the authority), and its answer kept as long as a record would be.
 */
export async function getApplicationKey(env: Env, clientId: string, cacheSeconds = 0): Promise<ApplicationKey | null> {
  if (!CLIENT_ID_PATTERN.test(clientId)) return null;
  const cached = cacheSeconds > 0 ? cache.get(clientId) : undefined;
  if (cached !== undefined) return cached;
  const kv = clientsKv(env);
  const floor = Math.max((await recordFloors(env, cacheSeconds))[clientId] ?? 0, floorsHere.get(clientId) ?? 0);
  const record = await readChecked(kv, env.SIGNING_KEY_KEK, clientKey(clientId), floor);
  if ("absent" in record) return null;
  if ("stated" in record) {
    const tombstone = await readChecked(kv, env.SIGNING_KEY_KEK, deletedClientKey(clientId));
    if ("stated" in tombstone) return null;
    if ("absent" in tombstone) {
      const found = JSON.parse(record.stated.payload) as ApplicationKey;
      cache.set(clientId, found, cacheSeconds * 1000);
      return found;
    }
  }
  const answer = await registry(env).applicationKeyState(clientId);
  if (answer) takenFromRegistry(clientKey(clientId), answer.iat);
  const found = answer?.record ?? null;
  cache.set(clientId, found, cacheSeconds * 1000);
  return found;
}

/**
 * The record this isolate holds for a client_id (null: known not to exist), taken without a
 * read; undefined when getApplicationKey must read it.
 */
export function heldApplicationKey(clientId: string, cacheSeconds: number): ApplicationKey | null | undefined {
  return cacheSeconds > 0 ? cache.get(clientId) : undefined;
}

/**
 * The record floors the cut-offs publish (oauth/status.ts `records`), read with the cut-offs
 * and kept as long as a record is. Without a readable copy (KV failing), none: the record's
 * own checks still hold, and authentication keeps working.
 */
const floors = new WeakMap<object, { value: Record<string, number>; readAt: number }>();
async function recordFloors(env: Env, cacheSeconds: number): Promise<Record<string, number>> {
  const held = floors.get(env.REVOCATIONS);
  if (held && Date.now() < held.readAt + cacheSeconds * 1000) return held.value;
  try {
    const value = (await cutoffsDocument(env)).value.records ?? {};
    floors.set(env.REVOCATIONS, { value, readAt: Date.now() });
    return value;
  } catch {
    return {};
  }
}

/** The record floors of changes made through this isolate: known here before the cut-offs carry them. */
const floorsHere = new TtlCache<number>(10_000);

/** Drops this isolate's copy after a change made here, and takes no copy from before it (`floor`, epoch ms) from then on. */
export function forgetApplicationKey(clientId: string, floor?: number): void {
  cache.delete(clientId);
  if (floor !== undefined) floorsHere.set(clientId, Math.max(floor, floorsHere.get(clientId) ?? 0), KV_RECORD_LIFETIME_SECONDS * 1000);
}
