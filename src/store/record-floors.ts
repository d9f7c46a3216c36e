/**
 * The registry's record floors (SQLite): per client_id, the change time of its key record's
 * latest change, kept while a copy from before it could still be put back in KV and believed
 * (KV_RECORD_LIFETIME_SECONDS). Published in the cut-offs as `records`, so that an isolate
 * holding them never takes such a copy (store/key-records.ts). Table:
 *
 *   record_floors   client_id, iat (epoch ms), until (epoch seconds)
 */
const SCHEMA = ["CREATE TABLE IF NOT EXISTS record_floors (client_id TEXT PRIMARY KEY, iat INTEGER NOT NULL, until INTEGER NOT NULL)"];

export function createRecordFloorTable(sql: SqlStorage): void {
  for (const statement of SCHEMA) sql.exec(statement);
}

/** Copies of the client's record changed before `iatMs` are stale until `until`. Only ever raised. In the change's transaction. */
export function raiseRecordFloor(sql: SqlStorage, clientId: string, iatMs: number, until: number): void {
  sql.exec(
    `INSERT INTO record_floors (client_id, iat, until) VALUES (?, ?, ?)
     ON CONFLICT (client_id) DO UPDATE SET iat = max(excluded.iat, record_floors.iat), until = max(excluded.until, record_floors.until)`,
    clientId,
    iatMs,
    until,
  );
}

/** The floors that still matter at `now` (epoch seconds), by client_id; the others go. */
export function liveRecordFloors(sql: SqlStorage, now: number): Record<string, number> {
  sql.exec("DELETE FROM record_floors WHERE until <= ?", now);
  const out: Record<string, number> = {};
  for (const r of sql.exec<{ client_id: string; iat: number }>("SELECT client_id, iat FROM record_floors")) out[r.client_id] = r.iat;
  return out;
}
