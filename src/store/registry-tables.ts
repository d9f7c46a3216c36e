import { ALL_TOKENS, ALL_VERSIONS, type Cutoff } from "../oauth/status.ts";
import type { ApplicationKey } from "./application-keys.ts";
import type { AuditAction, AuditRecord, AuditSnapshot } from "./registry-protocol.ts";

export type { AuditAction, AuditRecord } from "./registry-protocol.ts";

/**
 * The registry's SQLite tables (docs/storage.md). Synchronous, as Durable Object SQL is: a
 * caller runs several of these inside one `transactionSync`, so a check and the write it
 * guards see the same state. Only the registry calls these.
 *
 *   application_keys    every key ever created, deleted ones kept as tombstones (deleted_at)
 *   client_revocations  the client-wide cut-off per client_id (a key version, and a time for tokens
 *                       from before version claims): only ever raised
 *   audit_log           who changed which key, when, from what to what
 *   write_through       client_ids whose KV copy is behind the registry (the outbox)
 *   registry_meta       one-off facts: the legacy KV import is done
 */
const SCHEMA = [
  `CREATE TABLE IF NOT EXISTS application_keys (
    id TEXT PRIMARY KEY,
    client_id TEXT NOT NULL UNIQUE,
    record TEXT NOT NULL,
    version INTEGER NOT NULL,
    deleted_at TEXT
  )`,
  "CREATE TABLE IF NOT EXISTS client_revocations (client_id TEXT PRIMARY KEY, not_after INTEGER NOT NULL)",
  `CREATE TABLE IF NOT EXISTS audit_log (
    seq INTEGER PRIMARY KEY AUTOINCREMENT,
    at_ms INTEGER NOT NULL,
    actor TEXT NOT NULL,
    action TEXT NOT NULL,
    key_id TEXT NOT NULL,
    old TEXT,
    new TEXT
  )`,
  "CREATE INDEX IF NOT EXISTS audit_log_by_key ON audit_log (key_id, seq)",
  "CREATE INDEX IF NOT EXISTS audit_log_by_time ON audit_log (at_ms)",
  "CREATE TABLE IF NOT EXISTS write_through (client_id TEXT PRIMARY KEY)",
  "CREATE TABLE IF NOT EXISTS registry_meta (name TEXT PRIMARY KEY, value TEXT NOT NULL)",
];

export function createTables(sql: SqlStorage): void {
  for (const statement of SCHEMA) sql.exec(statement);
}

export interface KeyRow {
  id: string;
  client_id: string;
  record: ApplicationKey;
  version: number;
  /** ISO time of the deletion; null while the key lives. */
  deleted_at: string | null;
}

type RawKeyRow = { id: string; client_id: string; record: string; version: number; deleted_at: string | null };
const toRow = (r: RawKeyRow): KeyRow => ({ ...r, record: JSON.parse(r.record) as ApplicationKey });

export function keyById(sql: SqlStorage, id: string): KeyRow | undefined {
  const raw = sql.exec<RawKeyRow>("SELECT id, client_id, record, version, deleted_at FROM application_keys WHERE id = ?", id).toArray()[0];
  return raw && toRow(raw);
}

export function keyByClientId(sql: SqlStorage, clientId: string): KeyRow | undefined {
  const raw = sql
    .exec<RawKeyRow>("SELECT id, client_id, record, version, deleted_at FROM application_keys WHERE client_id = ?", clientId)
    .toArray()[0];
  return raw && toRow(raw);
}

export function insertKey(sql: SqlStorage, record: ApplicationKey, deletedAt: string | null = null, version = 1): void {
  sql.exec(
    "INSERT INTO application_keys (id, client_id, record, version, deleted_at) VALUES (?, ?, ?, ?, ?)",
    record.id,
    record.client_id,
    JSON.stringify(record),
    version,
    deletedAt,
  );
}

/**
 * Writes a key's next record, only over the version it was read at: a write computed from a
 * record someone else has changed since is refused (a TypeError: a bug, never a caller's error).
 */
export function replaceKey(sql: SqlStorage, current: KeyRow, record: ApplicationKey, deletedAt: string | null = null): void {
  const written = sql.exec(
    "UPDATE application_keys SET record = ?, version = version + 1, deleted_at = ? WHERE id = ? AND version = ? AND deleted_at IS NULL",
    JSON.stringify(record),
    deletedAt,
    current.id,
    current.version,
  ).rowsWritten;
  if (written !== 1) throw new TypeError(`application key ${current.id} changed since version ${current.version} was read`);
}

/** Every key's client_id, deleted ones included (their tombstones are in KV too). */
export function allClientIds(sql: SqlStorage): string[] {
  return sql
    .exec<{ client_id: string }>("SELECT client_id FROM application_keys")
    .toArray()
    .map((r) => r.client_id);
}

export function liveKeyCount(sql: SqlStorage): number {
  return sql.exec<{ n: number }>("SELECT count(*) AS n FROM application_keys WHERE deleted_at IS NULL").one().n;
}

/** Oldest first: ids are UUIDv7, ordered by creation time. */
export function liveKeys(sql: SqlStorage, limit: number, offset: number): ApplicationKey[] {
  return sql
    .exec<{ record: string }>("SELECT record FROM application_keys WHERE deleted_at IS NULL ORDER BY id LIMIT ? OFFSET ?", limit, offset)
    .toArray()
    .map((r) => JSON.parse(r.record) as ApplicationKey);
}

/**
 * Tables from before version cut-offs get their columns: `below_version` (tokens of lower key
 * versions are revoked; a deleted key's, every version) and `settled_at` (when the change that
 * raised it had reached KV; null while it has not). Rows from then had reached KV already.
 */
export function migrateClientRevocations(sql: SqlStorage, now: number): void {
  const columns = sql.exec<{ name: string }>("SELECT name FROM pragma_table_info('client_revocations')").toArray();
  if (columns.some((c) => c.name === "below_version")) return;
  sql.exec("ALTER TABLE client_revocations ADD COLUMN below_version INTEGER NOT NULL DEFAULT 0");
  sql.exec("ALTER TABLE client_revocations ADD COLUMN settled_at INTEGER");
  sql.exec("UPDATE client_revocations SET below_version = ? WHERE not_after >= ?", ALL_VERSIONS, ALL_TOKENS);
  sql.exec("UPDATE client_revocations SET settled_at = ? WHERE client_id NOT IN (SELECT client_id FROM write_through)", now);
}

type RawCutoff = { not_after: number; below_version: number };
const cutoffOf = (r: RawCutoff): Cutoff => ({ v: r.below_version, t: r.not_after });

export function clientRevocation(sql: SqlStorage, clientId: string): Cutoff | undefined {
  const row = sql.exec<RawCutoff>("SELECT not_after, below_version FROM client_revocations WHERE client_id = ?", clientId).toArray()[0];
  return row && cutoffOf(row);
}

/** Raises a client's cut-off; never lowers either part. Returns the cut-off now in force, unsettled until KV has it. */
export function raiseClientRevocation(sql: SqlStorage, clientId: string, cutoff: Cutoff): Cutoff {
  sql.exec(
    `INSERT INTO client_revocations (client_id, not_after, below_version, settled_at) VALUES (?, ?, ?, NULL)
     ON CONFLICT (client_id) DO UPDATE SET not_after = max(not_after, excluded.not_after),
       below_version = max(below_version, excluded.below_version), settled_at = NULL`,
    clientId,
    cutoff.t,
    cutoff.v,
  );
  return clientRevocation(sql, clientId)!;
}

/** The client's KV copy has caught up with its latest change, at `at` (epoch seconds). */
export function settleClientRevocation(sql: SqlStorage, clientId: string, at: number): void {
  sql.exec("UPDATE client_revocations SET settled_at = ? WHERE client_id = ? AND settled_at IS NULL", at, clientId);
}

/** The cut-offs that can still revoke a live token: unsettled, or settled after `since` (epoch seconds). */
export function liveClientRevocations(sql: SqlStorage, since: number): Record<string, Cutoff> {
  const rows = sql
    .exec<RawCutoff & { client_id: string }>(
      "SELECT client_id, not_after, below_version FROM client_revocations WHERE settled_at IS NULL OR settled_at > ? ORDER BY client_id",
      since,
    )
    .toArray();
  return Object.fromEntries(rows.map((r) => [r.client_id, cutoffOf(r)]));
}

export function appendAudit(sql: SqlStorage, e: Omit<AuditRecord, "seq" | "at">, atMs: number): void {
  sql.exec(
    "INSERT INTO audit_log (at_ms, actor, action, key_id, old, new) VALUES (?, ?, ?, ?, ?, ?)",
    atMs,
    e.actor,
    e.action,
    e.key_id,
    e.old === null ? null : JSON.stringify(e.old),
    e.new === null ? null : JSON.stringify(e.new),
  );
}

type RawAudit = { seq: number; at_ms: number; actor: string; action: AuditAction; key_id: string; old: string | null; new: string | null };

/** Oldest first, so that pages stay put while entries are added. */
export function auditPage(
  sql: SqlStorage,
  keyId: string | undefined,
  limit: number,
  offset: number,
): { entries: AuditRecord[]; total: number } {
  const where = keyId === undefined ? "" : "WHERE key_id = ?";
  return trailPage<RawAudit, AuditRecord>(sql, `audit_log ${where}`, keyId === undefined ? [] : [keyId], limit, offset, (r) => ({
    seq: r.seq,
    at: new Date(r.at_ms).toISOString(),
    actor: r.actor,
    action: r.action,
    key_id: r.key_id,
    old: r.old === null ? null : (JSON.parse(r.old) as AuditSnapshot),
    new: r.new === null ? null : (JSON.parse(r.new) as AuditSnapshot),
  }));
}

/**
 * A page of an audit trail (a table with `seq`), oldest first, and how many entries it has:
 * `from` is the table and its WHERE clause, `args` that clause's values.
 */
export function trailPage<Raw extends Record<string, SqlStorageValue>, Entry>(
  sql: SqlStorage,
  from: string,
  args: SqlStorageValue[],
  limit: number,
  offset: number,
  entry: (row: Raw) => Entry,
): { entries: Entry[]; total: number } {
  const total = sql.exec<{ n: number }>(`SELECT count(*) AS n FROM ${from}`, ...args).one().n;
  const rows = sql.exec<Raw>(`SELECT * FROM ${from} ORDER BY seq LIMIT ? OFFSET ?`, ...args, limit, offset).toArray();
  return { total, entries: rows.map(entry) };
}

/** Drops entries older than the retention. */
export function purgeAudit(sql: SqlStorage, olderThanMs: number): void {
  sql.exec("DELETE FROM audit_log WHERE at_ms < ?", olderThanMs);
}

export function markBehind(sql: SqlStorage, clientId: string): void {
  sql.exec("INSERT INTO write_through (client_id) VALUES (?) ON CONFLICT DO NOTHING", clientId);
}

export function markCaughtUp(sql: SqlStorage, clientId: string): void {
  sql.exec("DELETE FROM write_through WHERE client_id = ?", clientId);
}

export function behind(sql: SqlStorage): string[] {
  return sql
    .exec<{ client_id: string }>("SELECT client_id FROM write_through")
    .toArray()
    .map((r) => r.client_id);
}

export function metaValue(sql: SqlStorage, name: string): string | undefined {
  return sql.exec<{ value: string }>("SELECT value FROM registry_meta WHERE name = ?", name).toArray()[0]?.value;
}

export function setMetaValue(sql: SqlStorage, name: string, value: string): void {
  sql.exec("INSERT INTO registry_meta (name, value) VALUES (?, ?) ON CONFLICT (name) DO UPDATE SET value = excluded.value", name, value);
}
