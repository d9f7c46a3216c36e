import { CLOCK_SKEW_SECONDS, KV_RECORD_LIFETIME_SECONDS, MAX_TOKEN_TTL_SECONDS, staleRecordSeconds } from "../lib/limits.ts";
import type { Cutoffs } from "../oauth/status.ts";
import { liveRecordFloors } from "../store/record-floors.ts";
import { liveClientRevocations } from "../store/registry-tables.ts";
import { liveKidRevocations, purgeKidRevocations } from "../store/signing-key-tables.ts";
import * as tables from "../store/status-tables.ts";

/**
 * The registry's cut-offs document, made from its tables: every client cut-off that can still
 * revoke a live token (until its change has been in KV long enough for every stale copy to be
 * gone, a copy of the record put back to have lapsed (KV_RECORD_LIFETIME_SECONDS), and the
 * longest token minted from one to have expired), the revoked tokens from before status lists,
 * the kids an emergency rotation revoked, and the record floors (store/record-floors.ts).
 */
export function cutoffsOf(sql: SqlStorage, now: number, clientCacheSeconds: number): Cutoffs {
  const keep = staleRecordSeconds(clientCacheSeconds) + KV_RECORD_LIFETIME_SECONDS + MAX_TOKEN_TTL_SECONDS + CLOCK_SKEW_SECONDS;
  return {
    clients: liveClientRevocations(sql, now - keep),
    tokens: tables.legacyTokenRevocations(sql, now),
    kids: liveKidRevocations(sql, now),
    records: liveRecordFloors(sql, now),
  };
}

/** Records the revocation of a token from before status lists, by its jti; false when it was revoked before. */
export function revokeByJti(sql: SqlStorage, r: { jti: string; client_id: string; until: number }): boolean {
  return tables.insertTokenRevocation(sql, { ...r, list: null, idx: null });
}

/** Drops the entries that can revoke no live token any more; true when any went (the document changed). */
export function retireCutoffEntries(sql: SqlStorage, now: number): boolean {
  const jtis = tables.purgeLegacyTokenRevocations(sql, now);
  return purgeKidRevocations(sql, now) || jtis;
}

/** When the next entry expires (epoch ms), if any. */
export function cutoffsDueAt(sql: SqlStorage, now = Date.now()): number | undefined {
  const s = Math.floor(now / 1000);
  const untils = [...Object.values(tables.legacyTokenRevocations(sql, s)), ...Object.values(liveKidRevocations(sql, s))];
  return untils.length > 0 ? Math.max(now, Math.min(...untils) * 1000) : undefined;
}
