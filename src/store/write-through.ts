import type { ApplicationKey } from "./application-keys.ts";
import type { Kv } from "./kv.ts";
import { appKeyIdKey, clientKey, deletedClientKey } from "./kv-keys.ts";
import { dropValue, putAuthenticated } from "./kv-values.ts";

/** A key as the registry holds it: what its KV copy must show. */
export interface KeyState {
  id: string;
  client_id: string;
  record: ApplicationKey;
  version: number;
  deleted_at: string | null;
}

/** Where the registry writes: its own table of authenticated values, the KEK, and the namespaces. */
export interface KeyWriter {
  sql: SqlStorage;
  kekSecret: string | undefined;
  clients: Kv;
}

/**
 * Writes a key's state from the registry into KV, in the schema every reader knows
 * (docs/storage.md), each value authenticated (store/authenticated.ts), in the order that is
 * safe to stop at any point: for a deletion the tombstone before the record goes. (Verifiers read
 * the cut-offs document, which the registry writes before calling this; the per-client key
 * verifiers before status lists read is no longer written.) Every write states the whole current value, so
 * writing the same state twice is harmless and the latest write wins.
 */
export async function writeThrough(w: KeyWriter, k: KeyState): Promise<void> {
  const put = (key: string, payload: string, o?: Parameters<typeof putAuthenticated>[5]) =>
    putAuthenticated(w.sql, w.clients, w.kekSecret, key, payload, o);
  if (k.deleted_at !== null) {
    await put(deletedClientKey(k.client_id), JSON.stringify({ id: k.id, deleted_at: k.deleted_at }), { once: true });
    await w.clients.delete(clientKey(k.client_id));
    await w.clients.delete(appKeyIdKey(k.id));
    dropValue(w.sql, clientKey(k.client_id));
    dropValue(w.sql, appKeyIdKey(k.id));
    return;
  }
  // The client_id rides along as list metadata too, so a listing needs no read per index key.
  await put(appKeyIdKey(k.id), k.client_id, { metadata: { client_id: k.client_id }, once: true });
  await put(clientKey(k.client_id), JSON.stringify({ ...k.record, version: k.version }));
}
