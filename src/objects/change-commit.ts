import { KV_RECORD_LIFETIME_SECONDS } from "../lib/limits.ts";
import type { ApplicationKey } from "../store/application-keys.ts";
import { CUTOFFS_KEY, clientKey, deletedClientKey } from "../store/kv-keys.ts";
import * as values from "../store/kv-values.ts";
import { raiseRecordFloor } from "../store/record-floors.ts";
import type { AuditLine, Caller, Change } from "../store/registry-protocol.ts";
import * as tables from "../store/registry-tables.ts";
import type { Outbox } from "./outbox.ts";
import { actorOf, auditLine, auditSnapshot } from "./registry-changes.ts";

/** One key change as the registry commits it. */
export interface KeyChange {
  caller: Caller;
  action: tables.AuditAction;
  id: string;
  clientId: string;
  before: ApplicationKey | null;
  after: ApplicationKey | null;
  revocation: Change["revocation"];
  /** A secret rotation: until when the secret it replaced authenticates (now, when it ended at once), for the audit entry and line. */
  previousSecretExpiresAt?: string | undefined;
  /** When the change was made (epoch ms), if not now: the time a rotation put into its record. */
  at?: number | undefined;
}

/**
 * What every key change writes besides the record, in its own transaction: the audit entry
 * (older ones purged past the retention), the write-through mark and the value's change time,
 * and, for a change of an existing key, its record floor in the cut-offs.
 */
export function commitChange(sql: SqlStorage, outbox: Outbox, retentionDays: number, c: KeyChange): Change {
  const now = c.at ?? Date.now();
  const { caller, action, id, clientId, before, after } = c;
  const kept = c.previousSecretExpiresAt === undefined ? {} : { previous_secret_expires_at: c.previousSecretExpiresAt };
  const snapshot = auditSnapshot(after, now);
  tables.appendAudit(
    sql,
    { actor: actorOf(caller), action, key_id: id, old: auditSnapshot(before, now), new: snapshot && { ...snapshot, ...kept } },
    now,
  );
  tables.purgeAudit(sql, now - retentionDays * 86_400_000);
  tables.markBehind(sql, clientId);
  values.changed(sql, after === null ? deletedClientKey(clientId) : clientKey(clientId), now);
  let floor: number | undefined;
  if (before !== null) {
    // Every copy of the record from before this change is stale from now on, wherever it is
    // (an isolate's, or one put back in KV): the cut-offs say so (docs/storage.md).
    const recordIat = values.iatOf(sql, clientKey(clientId), now);
    floor = after === null ? Math.max(now, recordIat + 1) : recordIat;
    raiseRecordFloor(sql, clientId, floor, Math.floor(now / 1000) + KV_RECORD_LIFETIME_SECONDS);
    outbox.mark(CUTOFFS_KEY);
  }
  const record = tables.keyById(sql, id)!.record;
  const audit: AuditLine = { ...auditLine(actorOf(caller), action, id, before, after), ...kept };
  return { record, audit, revocation: c.revocation, propagated: false, floor };
}
