import type { Settings } from "../config/settings.ts";
import { HttpError } from "../lib/errors.ts";
import { staleRecordSeconds } from "../lib/limits.ts";
import { nowSeconds } from "../lib/time.ts";
import { ALL_TOKENS, ALL_VERSIONS } from "../oauth/status.ts";
import { assertMayDelete, assertMayGive, assertMayUpdate, narrows } from "../policy/key-management-rules.ts";
import { type ApplicationKey, authMethodOf, permissionsOf } from "../store/application-keys.ts";
import { CUTOFFS_KEY } from "../store/kv-keys.ts";
import type { Caller, Change, KeyChanges, NewKey } from "../store/registry-protocol.ts";
import * as tables from "../store/registry-tables.ts";
import { commitChange, type KeyChange } from "./change-commit.ts";
import { assertLive } from "./live-caller.ts";
import type { Outbox } from "./outbox.ts";
import { assertCanProveItself, changeAction, tightensPossession, withChanges } from "./registry-changes.ts";
import { rotateSecret } from "./secret-rotation.ts";

/**
 * The changes to an application key, each the body of one registry transaction (objects/registry.ts
 * runs it, and then writes the change through to KV): the caller's token live and holding what
 * the change needs, checked against the current record; the record written under its version;
 * what a change takes away revoked by that version; the audit entry. A rule broken is an HttpError
 * that rolls the transaction back. `bit`: the caller's token status, read before the transaction.
 */
export interface KeyChangeContext {
  sql: SqlStorage;
  outbox: Outbox;
  settings: () => Settings;
}

/** A new key's record: the bootstrap's only while the deployment has no key, a key's only within what it holds. */
export function createKey(
  c: KeyChangeContext,
  caller: Caller,
  bit: boolean | undefined,
  attributes: NewKey,
  record: ApplicationKey,
): Change {
  if (caller.kind === "bootstrap" && tables.liveKeyCount(c.sql) > 0) {
    throw new HttpError(409, "conflict", "This deployment already has application keys: the bootstrap secret is spent.");
  }
  if (caller.kind === "key") {
    assertLive(c.sql, caller, bit);
    assertMayGive(caller.claims, attributes);
  }
  assertCanProveItself(record);
  tables.insertKey(c.sql, record);
  return commit(c, {
    caller,
    action: "create",
    id: record.id,
    clientId: record.client_id,
    before: null,
    after: record,
    revocation: undefined,
  });
}

/**
 * A key's changes applied; `secret`, made before the transaction (hashing is asynchronous), is
 * used only if the key had no secret and now proves itself with one.
 */
export function updateKey(
  c: KeyChangeContext,
  caller: Caller,
  bit: boolean | undefined,
  id: string,
  changes: KeyChanges,
  secret: { secret: string; hash: string } | undefined,
): Change & { previous: ApplicationKey } {
  const current = liveKey(c.sql, id);
  const next = withChanges(current.record, changes, new Date());
  let issued: string | undefined;
  if (secret && authMethodOf(current.record) === "private_key_jwt") {
    next.secret_hash = secret.hash;
    issued = secret.secret;
  }
  // Anything but a name is what the key may do or how it proves itself: the caller must hold all of it.
  const beyondName = changeAction(changes) === "update";
  if (caller.kind === "key") {
    assertLive(c.sql, caller, bit);
    if (beyondName) assertMayUpdate(caller.claims, current.record, permissionsOf(next));
  }
  assertCanProveItself(next);
  let revocation: Change["revocation"];
  // Written by versions that answered 503 after a narrowing; nothing reads it now.
  delete (next as { revoked_through?: number }).revoked_through;
  if (beyondName && (narrows(current.record, permissionsOf(next)) || tightensPossession(current.record, next))) {
    // Tokens minted from the records before this one are revoked, wherever a stale copy mints
    // them; the narrower record serves at once. Tokens without a version claim keep the
    // time cut-off: every one issued until the narrower record has reached every isolate.
    revocation = tables.raiseClientRevocation(c.sql, current.client_id, {
      v: current.version + 1,
      t: nowSeconds() + staleRecordSeconds(c.settings().clientCacheSeconds),
    });
    c.outbox.mark(CUTOFFS_KEY);
  }
  tables.replaceKey(c.sql, current, next);
  return {
    ...commit(c, {
      caller,
      action: changeAction(changes),
      id,
      clientId: current.client_id,
      before: current.record,
      after: next,
      revocation,
    }),
    previous: current.record,
    ...(issued === undefined ? {} : { client_secret: issued }),
  };
}

/** A new secret, the old one authenticating `keepOldSeconds` more (0: none, the key's tokens revoked): objects/secret-rotation.ts. */
export function rotateKeySecret(
  c: KeyChangeContext,
  caller: Caller,
  bit: boolean | undefined,
  id: string,
  secret: { secret: string; hash: string },
  keepOldSeconds: number,
): Change {
  const current = liveKey(c.sql, id);
  // Whoever holds the new secret may do all the key may: the caller must hold all of it, as for a narrowing.
  if (caller.kind === "key") {
    assertLive(c.sql, caller, bit);
    assertMayUpdate(caller.claims, current.record, permissionsOf(current.record));
  }
  const rotated = rotateSecret(c.sql, c.outbox, current, secret.hash, keepOldSeconds, c.settings().clientCacheSeconds);
  return { ...commit(c, { caller, ...rotated }), client_secret: secret.secret };
}

/** After it, the key cannot get tokens and every token it was ever issued fails verification everywhere. */
export function removeKey(c: KeyChangeContext, caller: Caller, bit: boolean | undefined, id: string): Change {
  const current = liveKey(c.sql, id);
  if (caller.kind === "key") {
    assertLive(c.sql, caller, bit);
    assertMayDelete(caller.claims, current.record);
  }
  // Every version, whatever its iat, for good: stale copies of the record may mint tokens for a while yet.
  const revocation = tables.raiseClientRevocation(c.sql, current.client_id, { v: ALL_VERSIONS, t: ALL_TOKENS });
  c.outbox.mark(CUTOFFS_KEY);
  tables.replaceKey(c.sql, current, current.record, new Date().toISOString());
  return commit(c, { caller, action: "delete", id, clientId: current.client_id, before: current.record, after: null, revocation });
}

/** The live key by this id, or a 404. */
export function liveKey(sql: SqlStorage, id: string): tables.KeyRow {
  const row = tables.keyById(sql, id);
  if (!row || row.deleted_at !== null) throw new HttpError(404, "not_found", "There is no application key with this id.");
  return row;
}

/** The audit entry and the write-through mark, in the change's own transaction (objects/change-commit.ts). */
function commit(c: KeyChangeContext, change: KeyChange): Change {
  return commitChange(c.sql, c.outbox, c.settings().auditRetentionDays, change);
}
