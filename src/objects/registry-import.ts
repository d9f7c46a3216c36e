import { nowSeconds } from "../lib/time.ts";
import { ALL_TOKENS, ALL_VERSIONS } from "../oauth/status.ts";
import type { Kv } from "../store/kv.ts";
import { type LegacyKey, readLegacyKeys, readLegacyTokenRevocations } from "../store/legacy-import.ts";
import * as tables from "../store/registry-tables.ts";
import { insertTokenRevocation } from "../store/status-tables.ts";

/**
 * What versions before the registry (and before status lists) left in KV, taken into the
 * registry's tables once, on its first start: keys with their tombstones and client-wide
 * revocations, and the tokens revoked by their jti. Each step runs once, and says so in
 * `registry_meta`. KV was the authority then; from the registry's first start on it is a copy
 * that nothing is ever taken back from (a key KV holds that the registry does not is no key).
 */
export interface ImportContext {
  sql: SqlStorage;
  storage: DurableObjectStorage;
  kekSecret: string | undefined;
  clients: Kv;
  revocations: Kv;
}

/** Every key KV holds, the first time the registry runs. */
export async function importLegacyKeys(c: ImportContext): Promise<void> {
  if (tables.metaValue(c.sql, "legacy_import") !== undefined) return;
  const legacy = await readLegacyKeys(c.clients, c.revocations, c.kekSecret);
  c.storage.transactionSync(() => {
    for (const k of legacy) adopt(c.sql, k);
    tables.setMetaValue(c.sql, "legacy_import", new Date().toISOString());
  });
}

/**
 * The tokens revoked before status lists (a `jti:` key each), the first time the registry runs
 * with status lists: they carry no `status`, and the cut-offs document lists them. True when it
 * took them in now (the cut-offs are then to be written).
 */
export async function importLegacyTokenRevocations(c: ImportContext): Promise<boolean> {
  if (tables.metaValue(c.sql, "status_import") !== undefined) return false;
  const revoked = await readLegacyTokenRevocations(c.revocations);
  c.storage.transactionSync(() => {
    for (const r of revoked) insertTokenRevocation(c.sql, { ...r, list: null, idx: null });
    tables.setMetaValue(c.sql, "status_import", new Date().toISOString());
  });
  return true;
}

/** A key as it was: a deleted one stays deleted (every version revoked), a revocation keeps its time. */
function adopt(sql: SqlStorage, k: LegacyKey): void {
  if (tables.keyById(sql, k.record.id) || tables.keyByClientId(sql, k.record.client_id)) return;
  tables.insertKey(sql, k.record, k.deleted_at);
  const v = k.deleted_at !== null ? ALL_VERSIONS : 0;
  if (k.revocation !== undefined || v > 0) {
    tables.raiseClientRevocation(sql, k.record.client_id, { v, t: k.revocation ?? ALL_TOKENS });
    tables.settleClientRevocation(sql, k.record.client_id, nowSeconds());
  }
}
