import { type ClientRecord, type NewClientAttributes, newClient, type Permissions, permissionsOf } from "./client-record.ts";
import { forgetClient, isDeleted } from "./clients.ts";
import type { Kv } from "./kv.ts";
import { appKeyIdKey, clientKey, deletedClientKey } from "./kv-keys.ts";
import { revokeDeletedClient } from "./revocations.ts";

/**
 * Application keys (client records) with their id index. Written against the subset of the KV
 * API used here, so the Node CLI runs this same code over local or remote KV.
 */
export type { Kv } from "./kv.ts";

export const UUID_PATTERN = /^[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}$/;

/**
 * Writes the id index first and the record second: the record is what can mint tokens, so a
 * creation that fails half-way leaves at most an index entry pointing at nothing.
 */
export async function createAppKey(kv: Kv, attributes: NewClientAttributes): Promise<{ record: ClientRecord; clientSecret: string }> {
  const created = await newClient(attributes);
  const { record } = created;
  // The client_id rides along as list metadata too, so a listing needs no read per index key.
  await kv.put(appKeyIdKey(record.id), record.client_id, { metadata: { client_id: record.client_id } });
  try {
    await kv.put(clientKey(record.client_id), JSON.stringify(record));
  } catch (error) {
    await kv.delete(appKeyIdKey(record.id)).catch(() => {});
    throw error;
  }
  return created;
}

/** A live key by id: null when the id is unknown or the key was deleted (tombstoned). */
export async function getAppKey(kv: Kv, id: string): Promise<ClientRecord | null> {
  if (!UUID_PATTERN.test(id)) return null;
  const clientId = await kv.get(appKeyIdKey(id));
  if (clientId === null) return null;
  const found = await kv.get([clientKey(clientId), deletedClientKey(clientId)], "text");
  const record = found.get(clientKey(clientId));
  return record != null && found.get(deletedClientKey(clientId)) == null ? (JSON.parse(record) as ClientRecord) : null;
}

export type KeyChanges = Partial<Permissions> & { name?: string };

/**
 * Read, then write the whole record back: KV cannot make that conditional, so a deletion may
 * land in between. The tombstone is checked again after the write; if the key died meanwhile,
 * the record just written is removed and the update reports the key gone. Where the tombstone
 * has not reached this location yet, authentication still refuses the record once it has.
 *
 * `decide` sees the current record before anything is written and may refuse (throw). A
 * record older than scopes gets its legacy permissions written out in full.
 */
export async function updateAppKey(
  kv: Kv,
  id: string,
  changes: KeyChanges,
  decide: (current: ClientRecord) => void | Promise<void> = () => {},
  now = new Date(),
): Promise<{ previous: ClientRecord; record: ClientRecord } | null> {
  const previous = await getAppKey(kv, id);
  if (!previous) return null;
  await decide(previous);
  const { scope, grant_types } = permissionsOf(previous);
  const record: ClientRecord = { ...previous, scope, grant_types, ...changes, updated_at: now.toISOString() };
  await kv.put(clientKey(record.client_id), JSON.stringify(record));
  forgetClient(record.client_id);
  if (await isDeleted(kv, record.client_id)) {
    await kv.delete(clientKey(record.client_id)).catch(() => {});
    return null;
  }
  return { previous, record };
}

/**
 * Revokes every token of the key first, then writes the tombstone, then removes the record and
 * the index: each step can fail and be retried, and no order of failures leaves a usable key or
 * live tokens of a key reported deleted. Returns null when there is no such key; `record` is
 * null for a key whose record an earlier, failed deletion already removed.
 *
 * The revocation covers every token of the client, whatever its iat, for good: other isolates
 * may still hold the record in their cache (CLIENT_CACHE_SECONDS) or read it from a KV location
 * the deletion has not reached yet, and any token they mint meanwhile must not verify.
 */
export async function deleteAppKey(
  kv: Kv,
  revocations: Kv,
  id: string,
  decide: (current: ClientRecord) => void = () => {},
  now = new Date(),
): Promise<{ clientId: string; record: ClientRecord | null } | null> {
  if (!UUID_PATTERN.test(id)) return null;
  const clientId = await kv.get(appKeyIdKey(id));
  if (clientId === null) return null;
  // A half-deleted key (record gone, index left) must still be deletable: decide only on a record.
  const current = await kv.get<ClientRecord>(clientKey(clientId), "json");
  if (current) decide(current);
  await revokeDeletedClient(revocations, clientId);
  await kv.put(deletedClientKey(clientId), JSON.stringify({ id, deleted_at: now.toISOString() }));
  await kv.delete(clientKey(clientId));
  forgetClient(clientId);
  await kv.delete(appKeyIdKey(id));
  return { clientId, record: current };
}

/** Whether any application key exists: one list call, no record read. */
export async function anyAppKey(kv: Kv): Promise<boolean> {
  return (await kv.list({ prefix: appKeyIdKey(""), limit: 1 })).keys.length > 0;
}

export interface Page {
  records: ClientRecord[];
  total: number;
}

/**
 * One page of keys, oldest first. The total needs every index key (KV lists 1,000 a call);
 * records are read only for the page, in one bulk get.
 */
export async function listAppKeys(kv: Kv, limit: number, offset: number): Promise<Page> {
  const index: { name: string; metadata?: { client_id?: string } }[] = [];
  let cursor: string | undefined;
  do {
    const page = await kv.list<{ client_id?: string }>({ prefix: appKeyIdKey(""), ...(cursor ? { cursor } : {}) });
    index.push(...page.keys);
    cursor = page.list_complete ? undefined : page.cursor;
  } while (cursor);

  const slice = index.slice(offset, offset + limit);
  // An index entry written without metadata (by hand, say) is read the slow way.
  const unlabelled = slice.filter((k) => !k.metadata?.client_id).map((k) => k.name);
  const values = unlabelled.length ? await kv.get(unlabelled, "text") : new Map<string, string | null>();
  const recordKeys = slice.flatMap((k) => {
    const clientId = k.metadata?.client_id ?? values.get(k.name);
    return clientId ? [clientKey(clientId)] : [];
  });
  if (recordKeys.length === 0) return { records: [], total: index.length };
  const records = await kv.get<ClientRecord>(recordKeys, "json");
  return {
    records: recordKeys.map((k) => records.get(k)).filter((r): r is ClientRecord => r != null),
    total: index.length,
  };
}
