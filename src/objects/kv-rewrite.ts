import { kekOf } from "../lib/kek.ts";
import { CLIENT_PREFIX, CUTOFFS_KEY, clientKey, SIGNING_KEYS_KEY, statusListKey } from "../store/kv-keys.ts";
import * as values from "../store/kv-values.ts";
import * as tables from "../store/registry-tables.ts";
import { lists } from "../store/status-tables.ts";
import type { Outbox } from "./outbox.ts";

/** registry_meta: the fingerprint of the KEK the values in KV are authenticated under. */
const KV_KEK_META = "kv_kek";

/** What the registry writes again through: its tables, the outbox for documents, the write-through marks for keys. */
export interface Rewrite {
  sql: SqlStorage;
  storage: DurableObjectStorage;
  outbox: Outbox;
  hasSigningKeys: () => boolean;
}

/**
 * Every value in KV authenticated under this Worker's KEK: on the first start of a version that
 * authenticates them (values from before are upgraded in place) and after the KEK changed, every
 * key, tombstone and document is marked to be written again; true when it marked them (the
 * alarm writes them; meanwhile isolates refuse the old copies and ask the registry). Without a
 * usable KEK nothing is marked: isolates keep asking the registry.
 */
export async function authenticateKv(c: Rewrite, kekSecret: string | undefined): Promise<boolean> {
  let fingerprint: string;
  try {
    fingerprint = (await kekOf(kekSecret)).fingerprint;
  } catch {
    return false;
  }
  if (tables.metaValue(c.sql, KV_KEK_META) === fingerprint) return false;
  c.storage.transactionSync(() => {
    values.forgetWritten(c.sql);
    for (const clientId of tables.allClientIds(c.sql)) {
      tables.markBehind(c.sql, clientId);
      values.changed(c.sql, clientKey(clientId));
    }
    c.outbox.mark(CUTOFFS_KEY);
    for (const l of lists(c.sql)) c.outbox.mark(statusListKey(String(l.list)));
    if (c.hasSigningKeys()) c.outbox.mark(SIGNING_KEYS_KEY);
    tables.setMetaValue(c.sql, KV_KEK_META, fingerprint);
  });
  return true;
}

/**
 * The copies halfway through their lifetime, marked to be written again so that a live value
 * never expires in KV: a key's through its write-through, a document through the outbox.
 */
export function markDueForRefresh(c: Rewrite, now: number): void {
  c.storage.transactionSync(() => {
    for (const key of values.dueForRefresh(c.sql, now)) {
      if (key.startsWith(CLIENT_PREFIX)) tables.markBehind(c.sql, key.slice(CLIENT_PREFIX.length));
      else c.outbox.mark(key);
    }
  });
}
