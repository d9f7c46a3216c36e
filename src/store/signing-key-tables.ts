import type { RotationChange, SigningKeyEvent, SigningKeyView } from "./registry-protocol.ts";
import { trailPage } from "./registry-tables.ts";

export type { SigningKeyEvent } from "./registry-protocol.ts";

/**
 * The registry's tables for signing keys (docs/storage.md), synchronous like the others: the
 * registry runs them inside one `transactionSync`.
 *
 *   signing_keys        every signing key the deployment has had: its state, its times, its public
 *                       half, and while it signs or will sign its private half sealed under the KEK
 *   kid_revocations     kids whose every token is revoked (an emergency rotation), until no token
 *                       they signed can still pass anywhere
 *   signing_key_events  the audit trail of rotations: who moved which key from what state to what
 */
const SCHEMA = [
  `CREATE TABLE IF NOT EXISTS signing_keys (
    kid TEXT PRIMARY KEY,
    alg TEXT NOT NULL,
    public_jwk TEXT NOT NULL,
    sealed TEXT,
    state TEXT NOT NULL,
    origin TEXT NOT NULL,
    created_at INTEGER NOT NULL,
    activate_at INTEGER,
    activated_at INTEGER,
    retiring_at INTEGER,
    retire_at INTEGER,
    retired_at INTEGER,
    revoked INTEGER NOT NULL DEFAULT 0
  )`,
  "CREATE TABLE IF NOT EXISTS kid_revocations (kid TEXT PRIMARY KEY, until INTEGER NOT NULL)",
  `CREATE TABLE IF NOT EXISTS signing_key_events (
    seq INTEGER PRIMARY KEY AUTOINCREMENT,
    at_ms INTEGER NOT NULL,
    actor TEXT NOT NULL,
    action TEXT NOT NULL,
    kid TEXT NOT NULL,
    from_state TEXT,
    to_state TEXT NOT NULL
  )`,
  "CREATE INDEX IF NOT EXISTS signing_key_events_by_time ON signing_key_events (at_ms)",
];

export function createSigningKeyTables(sql: SqlStorage): void {
  for (const statement of SCHEMA) sql.exec(statement);
}

export type SigningKeyState = "next" | "active" | "retiring" | "retired";

export interface SigningKeyRow {
  kid: string;
  alg: string;
  public_jwk: Record<string, string>;
  /** The private JWK sealed under the KEK; dropped once the key can sign no more. */
  sealed: string | null;
  state: SigningKeyState;
  /** "generated" here, or "imported" from SIGNING_KEYS. */
  origin: "generated" | "imported";
  /** epoch seconds, all of them */
  created_at: number;
  /** A next key becomes active at the first run of the schedule from then on. */
  activate_at: number | null;
  activated_at: number | null;
  /** When it stopped signing. */
  retiring_at: number | null;
  /** A retiring key leaves the JWKS at the first run of the schedule from then on. */
  retire_at: number | null;
  retired_at: number | null;
  /** Retired by an emergency rotation: every token it signed is revoked. */
  revoked: boolean;
}

type RawRow = Omit<SigningKeyRow, "public_jwk" | "revoked"> & { public_jwk: string; revoked: number };
const COLUMNS =
  "kid, alg, public_jwk, sealed, state, origin, created_at, activate_at, activated_at, retiring_at, retire_at, retired_at, revoked";
const toRow = (r: RawRow): SigningKeyRow => ({
  ...r,
  public_jwk: JSON.parse(r.public_jwk) as Record<string, string>,
  revoked: r.revoked === 1,
});

/** Every key, newest first. */
export function signingKeyRows(sql: SqlStorage): SigningKeyRow[] {
  return sql.exec<RawRow>(`SELECT ${COLUMNS} FROM signing_keys ORDER BY created_at DESC, rowid DESC`).toArray().map(toRow);
}

/** The keys in the JWKS (next, active, retiring), newest first. */
export function publishedKeyRows(sql: SqlStorage): SigningKeyRow[] {
  return signingKeyRows(sql).filter((k) => k.state !== "retired");
}

/** A row's values in COLUMNS order. */
const valuesOf = (k: SigningKeyRow) => [
  k.kid,
  k.alg,
  JSON.stringify(k.public_jwk),
  k.sealed,
  k.state,
  k.origin,
  k.created_at,
  k.activate_at,
  k.activated_at,
  k.retiring_at,
  k.retire_at,
  k.retired_at,
  k.revoked ? 1 : 0,
];
const PLACEHOLDERS = COLUMNS.split(",")
  .map(() => "?")
  .join(", ");

export function insertSigningKey(sql: SqlStorage, k: SigningKeyRow): void {
  sql.exec(`INSERT INTO signing_keys (${COLUMNS}) VALUES (${PLACEHOLDERS})`, ...valuesOf(k));
}

/** Writes a key's state and times; a key that will never sign again loses its sealed private half. */
export function updateSigningKey(sql: SqlStorage, k: SigningKeyRow): void {
  const sealed = k.state === "next" || k.state === "active" ? k.sealed : null;
  sql.exec(`UPDATE signing_keys SET (${COLUMNS}) = (${PLACEHOLDERS}) WHERE kid = ?`, ...valuesOf({ ...k, sealed }), k.kid);
}

/** Records that every token `kid` signed is revoked, until `until` (epoch seconds). */
export function revokeKid(sql: SqlStorage, kid: string, until: number): void {
  sql.exec(
    "INSERT INTO kid_revocations (kid, until) VALUES (?, ?) ON CONFLICT (kid) DO UPDATE SET until = max(until, excluded.until)",
    kid,
    until,
  );
}

/** The revoked kids that can still matter, by kid: until when. */
export function liveKidRevocations(sql: SqlStorage, now: number): Record<string, number> {
  const rows = sql.exec<{ kid: string; until: number }>("SELECT kid, until FROM kid_revocations WHERE until > ?", now).toArray();
  return Object.fromEntries(rows.map((r) => [r.kid, r.until]));
}

/**
 * Whether tokens signed by `kid` may still act: it is in the JWKS (next, active or retiring: a
 * kid the registry never published, or one gone from the JWKS, signs nothing that passes) and
 * no emergency rotation revoked it.
 */
export function kidMayAct(sql: SqlStorage, kid: string, now: number): boolean {
  const published = sql.exec("SELECT 1 FROM signing_keys WHERE kid = ? AND state != 'retired' AND revoked = 0", kid).toArray().length > 0;
  return published && sql.exec("SELECT 1 FROM kid_revocations WHERE kid = ? AND until > ?", kid, now).toArray().length === 0;
}

/** Drops revocations that can revoke no live token; true when any went. */
export function purgeKidRevocations(sql: SqlStorage, now: number): boolean {
  return sql.exec("DELETE FROM kid_revocations WHERE until <= ?", now).rowsWritten > 0;
}

export type SigningKeyAction = RotationChange["action"];

export function appendSigningKeyEvent(
  sql: SqlStorage,
  e: { actor: string; action: SigningKeyAction; kid: string; from: SigningKeyState | null; to: SigningKeyState },
  atMs: number,
): void {
  sql.exec(
    "INSERT INTO signing_key_events (at_ms, actor, action, kid, from_state, to_state) VALUES (?, ?, ?, ?, ?, ?)",
    atMs,
    e.actor,
    e.action,
    e.kid,
    e.from,
    e.to,
  );
}

type RawEvent = {
  seq: number;
  at_ms: number;
  actor: string;
  action: SigningKeyAction;
  kid: string;
  from_state: SigningKeyState | null;
  to_state: SigningKeyState;
};

/** A page of the rotation audit trail, oldest first. */
export function signingKeyEvents(sql: SqlStorage, limit: number, offset: number): { entries: SigningKeyEvent[]; total: number } {
  return trailPage<RawEvent, SigningKeyEvent>(sql, "signing_key_events", [], limit, offset, (r) => ({
    seq: r.seq,
    at: new Date(r.at_ms).toISOString(),
    actor: r.actor,
    action: r.action,
    kid: r.kid,
    from: r.from_state,
    to: r.to_state,
  }));
}

export function purgeSigningKeyEvents(sql: SqlStorage, olderThanMs: number): void {
  sql.exec("DELETE FROM signing_key_events WHERE at_ms < ?", olderThanMs);
}

const iso = (seconds: number | null) => (seconds === null ? null : new Date(seconds * 1000).toISOString());

/** A key as the admin API and the CLI show it: its times as ISO strings. */
export function viewOf(k: SigningKeyRow): SigningKeyView {
  return {
    kid: k.kid,
    alg: k.alg,
    state: k.state,
    origin: k.origin,
    created_at: iso(k.created_at)!,
    activate_at: iso(k.activate_at),
    activated_at: iso(k.activated_at),
    retiring_at: iso(k.retiring_at),
    retire_at: iso(k.retire_at),
    retired_at: iso(k.retired_at),
    revoked: k.revoked,
  };
}
