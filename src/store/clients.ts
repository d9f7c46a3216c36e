import { TtlCache } from "../lib/ttl-cache.ts";
import type { ClientRecord } from "./client-record.ts";
import type { Kv } from "./kv.ts";
import { appKeyIdKey, CLIENT_ID_PATTERN, clientKey, deletedClientKey } from "./kv-keys.ts";

export type { ClientRecord } from "./client-record.ts";

/**
 * Client records read on the token path, kept per isolate for CLIENT_CACHE_SECONDS: a KV read
 * costs more than everything else an issuance does. Only records that exist are cached, so a
 * new client works at once. A deleted client's record may linger in other isolates for the
 * TTL; the deletion revokes every token issued that long after it (see deleteAppKey).
 */
const cache = new TtlCache<ClientRecord>();

/**
 * The record for a client_id, or null when there is none, it was deleted, or the id cannot be
 * one of ours. The tombstone is read only when a record exists: an unknown id costs one read.
 */
export async function getClient(kv: Pick<Kv, "get">, clientId: string, cacheSeconds = 0): Promise<ClientRecord | null> {
  if (!CLIENT_ID_PATTERN.test(clientId)) return null;
  const cached = cacheSeconds > 0 ? cache.get(clientId) : undefined;
  if (cached) return cached;
  const record = await kv.get<ClientRecord>(clientKey(clientId), "json");
  if (!record || (await isDeleted(kv, clientId))) return null;
  cache.set(clientId, record, cacheSeconds * 1000);
  return record;
}

export async function isDeleted(kv: Pick<Kv, "get">, clientId: string): Promise<boolean> {
  return (await kv.get(deletedClientKey(clientId))) !== null;
}

/** Drops this isolate's copy after a change made here. */
export function forgetClient(clientId: string): void {
  cache.delete(clientId);
}

/** Whether any application key exists in KV's copy (the registry writes its id index through): one list call. */
export async function anyAppKey(kv: Pick<Kv, "list">): Promise<boolean> {
  return (await kv.list({ prefix: appKeyIdKey(""), limit: 1 })).keys.length > 0;
}
