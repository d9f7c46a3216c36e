/**
 * The registry's tables for token status (docs/storage.md), beside those of registry-tables.ts
 * and as synchronous: the registry runs them inside one `transactionSync`.
 *
 *   status_lists       every status list still published: who may still lease from it, when it goes
 *   token_revocations  every revoked token that has not expired: its list and index, or (a token
 *                      from before status lists) its jti alone
 *   status_outbox      KV documents behind the tables: written in turn, no key twice a second
 *   status_meta        a region's status object: its region, the KEK its KV values are authenticated under
 *
 * A region's status object (objects/status-region.ts) has these tables too, for its own lists.
 */
const SCHEMA = [
  `CREATE TABLE IF NOT EXISTS status_lists (
    list INTEGER PRIMARY KEY,
    opened_at INTEGER,
    next_index INTEGER NOT NULL DEFAULT 0,
    max_ttl INTEGER NOT NULL DEFAULT 0,
    retire_at INTEGER
  )`,
  `CREATE TABLE IF NOT EXISTS token_revocations (
    jti TEXT PRIMARY KEY,
    client_id TEXT NOT NULL,
    until INTEGER NOT NULL,
    list INTEGER,
    idx INTEGER
  )`,
  "CREATE INDEX IF NOT EXISTS token_revocations_by_list ON token_revocations (list, idx)",
  "CREATE TABLE IF NOT EXISTS status_outbox (document TEXT PRIMARY KEY)",
  "CREATE TABLE IF NOT EXISTS status_meta (name TEXT PRIMARY KEY, value TEXT NOT NULL)",
];

export function createStatusTables(sql: SqlStorage): void {
  for (const statement of SCHEMA) sql.exec(statement);
}

export type ListRow = {
  list: number;
  /** epoch seconds of its first lease; null while it waits as the next list. */
  opened_at: number | null;
  next_index: number;
  /** The longest token lifetime an isolate leasing from it said it issues. */
  max_ttl: number;
  /** epoch seconds after which every token that names it has expired; null before its first lease. */
  retire_at: number | null;
};

export function lists(sql: SqlStorage): ListRow[] {
  return sql.exec<ListRow>("SELECT list, opened_at, next_index, max_ttl, retire_at FROM status_lists ORDER BY list").toArray();
}

/** The longest token lifetime an isolate said it issues, over the lists whose tokens may still live. */
export function longestLeasedTtl(sql: SqlStorage): number {
  return sql.exec<{ ttl: number | null }>("SELECT max(max_ttl) AS ttl FROM status_lists").one().ttl ?? 0;
}

export function listRow(sql: SqlStorage, list: number): ListRow | undefined {
  return sql.exec<ListRow>("SELECT list, opened_at, next_index, max_ttl, retire_at FROM status_lists WHERE list = ?", list).toArray()[0];
}

export function insertList(sql: SqlStorage, list: number): void {
  sql.exec("INSERT INTO status_lists (list) VALUES (?)", list);
}

export function updateList(sql: SqlStorage, row: ListRow): void {
  sql.exec(
    "UPDATE status_lists SET opened_at = ?, next_index = ?, max_ttl = ?, retire_at = ? WHERE list = ?",
    row.opened_at,
    row.next_index,
    row.max_ttl,
    row.retire_at,
    row.list,
  );
}

export function deleteList(sql: SqlStorage, list: number): void {
  sql.exec("DELETE FROM status_lists WHERE list = ?", list);
  sql.exec("DELETE FROM token_revocations WHERE list = ?", list);
}

export type TokenRevocation = {
  jti: string;
  client_id: string;
  /** epoch seconds: past it, the token can pass no check anywhere and the entry is dropped. */
  until: number;
  list: number | null;
  idx: number | null;
};

/** Records a revocation; false when the token was revoked before (nothing changes). */
export function insertTokenRevocation(sql: SqlStorage, r: TokenRevocation): boolean {
  // Not rowsWritten: it counts the index's rows too.
  if (tokenRevocation(sql, r.jti)) return false;
  sql.exec(
    "INSERT INTO token_revocations (jti, client_id, until, list, idx) VALUES (?, ?, ?, ?, ?)",
    r.jti,
    r.client_id,
    r.until,
    r.list,
    r.idx,
  );
  return true;
}

export function revokedIndices(sql: SqlStorage, list: number): number[] {
  return sql
    .exec<{ idx: number }>("SELECT idx FROM token_revocations WHERE list = ? AND idx IS NOT NULL", list)
    .toArray()
    .map((r) => r.idx);
}

/** Revoked tokens from before status lists that can still pass a check somewhere, by jti. */
export function legacyTokenRevocations(sql: SqlStorage, now: number): Record<string, number> {
  const rows = sql.exec<{ jti: string; until: number }>("SELECT jti, until FROM token_revocations WHERE list IS NULL AND until > ?", now);
  return Object.fromEntries(rows.toArray().map((r) => [r.jti, r.until]));
}

/** Whether the token at index `idx` of list `n` is revoked. */
export function isRevokedAt(sql: SqlStorage, list: number, idx: number): boolean {
  return sql.exec("SELECT 1 FROM token_revocations WHERE list = ? AND idx = ?", list, idx).toArray().length > 0;
}

export function tokenRevocation(sql: SqlStorage, jti: string): TokenRevocation | undefined {
  return sql.exec<TokenRevocation>("SELECT jti, client_id, until, list, idx FROM token_revocations WHERE jti = ?", jti).toArray()[0];
}

/** Drops the entries of tokens from before status lists that have expired; true when any went. */
export function purgeLegacyTokenRevocations(sql: SqlStorage, now: number): boolean {
  return sql.exec("DELETE FROM token_revocations WHERE list IS NULL AND until <= ?", now).rowsWritten > 0;
}

export function markUnpublished(sql: SqlStorage, document: string): void {
  sql.exec("INSERT INTO status_outbox (document) VALUES (?) ON CONFLICT DO NOTHING", document);
}

export function markPublished(sql: SqlStorage, document: string): void {
  sql.exec("DELETE FROM status_outbox WHERE document = ?", document);
}

export function unpublished(sql: SqlStorage): string[] {
  return sql
    .exec<{ document: string }>("SELECT document FROM status_outbox ORDER BY document")
    .toArray()
    .map((r) => r.document);
}

export function statusMeta(sql: SqlStorage, name: string): string | undefined {
  return sql.exec<{ value: string }>("SELECT value FROM status_meta WHERE name = ?", name).toArray()[0]?.value;
}

export function setStatusMeta(sql: SqlStorage, name: string, value: string): void {
  sql.exec("INSERT INTO status_meta (name, value) VALUES (?, ?) ON CONFLICT (name) DO UPDATE SET value = excluded.value", name, value);
}
