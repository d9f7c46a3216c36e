import { kekOf } from "../lib/kek.ts";
import { nowSeconds } from "../lib/time.ts";
import { purposeOf, type Stated, seal } from "./authenticated.ts";
import type { Kv, KvPutOptions } from "./kv.ts";

/**
 * The writer's side of authenticated KV values (store/authenticated.ts), for the Durable Object
 * that owns them: the `iat` of each value's latest change, raised in the change's own
 * transaction, and when its copy in KV is due to be written again before it lapses.
 *
 *   kv_values   key (the KV key), iat (epoch ms of its latest change), written_at and refresh_at
 *               (epoch seconds: when KV took it, and when it must take it again; null: not
 *               written since the last change of KEK, or written for good)
 */
const SCHEMA = [
  `CREATE TABLE IF NOT EXISTS kv_values (
    key TEXT PRIMARY KEY,
    iat INTEGER NOT NULL,
    written_at INTEGER,
    refresh_at INTEGER
  )`,
  "CREATE INDEX IF NOT EXISTS kv_values_by_refresh ON kv_values (refresh_at)",
];

export function createKvValueTable(sql: SqlStorage): void {
  for (const statement of SCHEMA) sql.exec(statement);
}

/** The value at `key` changed: the copy written next states a greater iat than any before. In the change's transaction. */
export function changed(sql: SqlStorage, key: string, nowMs = Date.now()): void {
  sql.exec(
    `INSERT INTO kv_values (key, iat) VALUES (?, ?)
     ON CONFLICT (key) DO UPDATE SET iat = max(excluded.iat, kv_values.iat + 1)`,
    key,
    nowMs,
  );
}

/** The iat the value at `key` states now (a key never marked changed starts at `nowMs`). */
export function iatOf(sql: SqlStorage, key: string, nowMs = Date.now()): number {
  const row = sql.exec<{ iat: number }>("SELECT iat FROM kv_values WHERE key = ?", key).toArray()[0];
  if (row) return row.iat;
  sql.exec("INSERT INTO kv_values (key, iat) VALUES (?, ?)", key, nowMs);
  return nowMs;
}

/** The value as the owner states it now: what its KV copy says, or will once written. */
export function stated(sql: SqlStorage, key: string, payload: string, now = nowSeconds()): Stated {
  const { lifetimeSeconds } = purposeOf(key);
  return { payload, iat: iatOf(sql, key), exp: lifetimeSeconds === 0 ? 0 : now + lifetimeSeconds };
}

/**
 * Puts `payload` at `key`, authenticated under SIGNING_KEY_KEK (which it throws without: nothing
 * unauthenticated is written). `once`: a value that never changes is not written again until
 * the KEK changes.
 */
export async function putAuthenticated(
  sql: SqlStorage,
  kv: Pick<Kv, "put">,
  kekSecret: string | undefined,
  key: string,
  payload: string,
  o: KvPutOptions & { once?: boolean } = {},
): Promise<void> {
  const { once, ...options } = o;
  if (once && everWritten(sql, key)) return;
  const kek = await kekOf(kekSecret);
  const now = nowSeconds();
  const value = stated(sql, key, payload, now);
  await kv.put(key, await seal(kek, key, value), options);
  // Written again halfway through its lifetime, so that a live value never lapses in KV.
  const refreshAt = value.exp === 0 ? null : now + Math.floor((value.exp - now) / 2);
  sql.exec("UPDATE kv_values SET written_at = ?, refresh_at = ? WHERE key = ?", now, refreshAt, key);
}

/** The value at `key` is gone from KV for good. */
export function dropValue(sql: SqlStorage, key: string): void {
  sql.exec("DELETE FROM kv_values WHERE key = ?", key);
}

/** Whether a copy of the value at `key` has been written to KV (under the current KEK). */
export function everWritten(sql: SqlStorage, key: string): boolean {
  return sql.exec("SELECT 1 FROM kv_values WHERE key = ? AND written_at IS NOT NULL", key).toArray().length > 0;
}

/** Copies due to be written again (halfway through their lifetime), oldest first. */
export function dueForRefresh(sql: SqlStorage, now: number, limit = 100): string[] {
  return sql
    .exec<{ key: string }>("SELECT key FROM kv_values WHERE refresh_at <= ? ORDER BY refresh_at LIMIT ?", now, limit)
    .toArray()
    .map((r) => r.key);
}

/** When the next copy is due (epoch seconds), if any. */
export function nextRefresh(sql: SqlStorage): number | undefined {
  return sql.exec<{ at: number | null }>("SELECT min(refresh_at) AS at FROM kv_values").one().at ?? undefined;
}

/** Every value must be written again (a new KEK, or values from before authentication). */
export function forgetWritten(sql: SqlStorage): void {
  sql.exec("UPDATE kv_values SET written_at = NULL, refresh_at = NULL");
}
