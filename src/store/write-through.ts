import type { ApplicationKey } from "./application-keys.ts";
import type { Kv } from "./kv.ts";
import { appKeyIdKey, clientKey, deletedClientKey } from "./kv-keys.ts";
import { putClientRevocation } from "./legacy-revocations.ts";

/** A key as the registry holds it: what its KV copy must show. */
export interface KeyState {
  id: string;
  client_id: string;
  record: ApplicationKey;
  version: number;
  deleted_at: string | null;
  /** The time part of the client's cut-off, if it has one: what verifiers of earlier versions read. */
  revocation: number | undefined;
}

/**
 * Writes a key's state from the registry into KV, in the schema every reader knows
 * (docs/storage.md), in the order that is safe to stop at any point: the revocation earlier
 * verifiers read first; for a deletion the tombstone before the record goes. (This version's
 * verifiers read the cut-offs document, which the registry writes before calling this.) Every write states the whole current value,
 * so writing the same state twice is harmless and the latest write wins.
 */
export async function writeThrough(clients: Kv, revocations: Kv, k: KeyState): Promise<void> {
  if (k.revocation !== undefined) await putClientRevocation(revocations, k.client_id, k.revocation);
  if (k.deleted_at !== null) {
    await clients.put(deletedClientKey(k.client_id), JSON.stringify({ id: k.id, deleted_at: k.deleted_at }));
    await clients.delete(clientKey(k.client_id));
    await clients.delete(appKeyIdKey(k.id));
    return;
  }
  // The client_id rides along as list metadata too, so a listing needs no read per index key.
  await clients.put(appKeyIdKey(k.id), k.client_id, { metadata: { client_id: k.client_id } });
  await clients.put(clientKey(k.client_id), JSON.stringify({ ...k.record, version: k.version }));
}
