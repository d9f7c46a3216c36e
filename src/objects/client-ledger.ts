import { DurableObject } from "cloudflare:workers";
import type { Env } from "../config/settings.ts";
import { MAX_LEASE } from "../lib/limits.ts";
import type { TokenQuota } from "../store/application-keys.ts";

export interface Lease {
  /** Tokens the isolate may issue, 0 when the quota is spent. */
  granted: number;
  /** When the lease lapses (epoch ms): the end of the shortest window it counts in. */
  until: number;
  /** Seconds until the spent window starts over (only when nothing was granted). */
  retry_after?: number;
}

const HOUR = 3_600_000;
const DAY = 86_400_000;

/**
 * What must hold for one client across all locations: its global issuance count, and the
 * identifiers it may use only once. A Durable Object per client_id. An isolate takes a lease of
 * a few tokens at a time and asks again when it has used them, so the count is not on the
 * per-token path, and never more tokens are granted, across all locations together, than the
 * quota allows in each window (UTC hours and days). A lease is at most a hundredth of what is
 * left (so a small quota is leased one token at a time) and at most MAX_LEASE; tokens left in a
 * lease when its window ends are not issued: at most MAX_LEASE − 1 per isolate that held one,
 * and never more than a hundredth of what was left when it was leased (docs/storage.md).
 */
export class ClientLedger extends DurableObject<Env> {
  readonly #sql: SqlStorage;

  constructor(ctx: DurableObjectState, env: Env) {
    super(ctx, env);
    this.#sql = ctx.storage.sql;
    this.#sql.exec("CREATE TABLE IF NOT EXISTS issued (span TEXT PRIMARY KEY, start INTEGER NOT NULL, used INTEGER NOT NULL)");
    this.#sql.exec(
      "CREATE TABLE IF NOT EXISTS quota (id INTEGER PRIMARY KEY CHECK (id = 1), version INTEGER NOT NULL, quota TEXT NOT NULL)",
    );
    this.#sql.exec("CREATE TABLE IF NOT EXISTS used_once (name TEXT PRIMARY KEY, until INTEGER NOT NULL)");
    this.#sql.exec("CREATE INDEX IF NOT EXISTS used_once_until ON used_once (until)");
  }

  /**
   * Marks identifiers that may be used once (a client assertion's jti, a DPoP proof's jti) as
   * used until `until` (epoch seconds), all or none: answers the first one already used. Entries
   * past their time are dropped as it goes.
   */
  useOnce(entries: { name: string; until: number }[]): { ok: true } | { ok: false; used: string } {
    return this.ctx.storage.transactionSync(() => {
      const now = Math.floor(Date.now() / 1000);
      this.#sql.exec("DELETE FROM used_once WHERE until < ?", now);
      for (const e of entries) {
        if (this.#sql.exec("SELECT 1 FROM used_once WHERE name = ?", e.name).toArray().length > 0) return { ok: false, used: e.name };
      }
      for (const e of entries) this.#sql.exec("INSERT INTO used_once (name, until) VALUES (?, ?)", e.name, e.until);
      return { ok: true };
    });
  }

  /**
   * Grants up to a lease of tokens under the client's quota. `version` is the registry's
   * version of the record the quota came from: the newest quota seen wins, so an isolate with a
   * stale record cannot lift a lowered one.
   */
  lease(quota: TokenQuota, version: number): Lease {
    return this.ctx.storage.transactionSync(() => {
      const q = this.#quota(quota, version);
      const now = Date.now();
      const windows = [
        { name: "hour", limit: q.per_hour, start: now - (now % HOUR), length: HOUR },
        { name: "day", limit: q.per_day, start: now - (now % DAY), length: DAY },
      ].filter((w): w is typeof w & { limit: number } => w.limit !== undefined);
      const state = windows.map((w) => ({ ...w, used: this.#used(w.name, w.start) }));
      const spent = state.filter((w) => w.used >= w.limit);
      if (spent.length > 0) {
        const ends = Math.max(...spent.map((w) => w.start + w.length));
        return { granted: 0, until: ends, retry_after: Math.max(1, Math.ceil((ends - now) / 1000)) };
      }
      const left = Math.min(...state.map((w) => w.limit - w.used));
      const granted = Math.min(MAX_LEASE, Math.max(1, Math.floor(left / 100)));
      for (const w of state) {
        this.#sql.exec(
          "INSERT INTO issued (span, start, used) VALUES (?, ?, ?) ON CONFLICT (span) DO UPDATE SET start = excluded.start, used = excluded.used",
          w.name,
          w.start,
          w.used + granted,
        );
      }
      return { granted, until: Math.min(...state.map((w) => w.start + w.length)) };
    });
  }

  /**
   * The current UTC hour's and day's counts: tokens granted in leases, issued or still held by
   * an isolate (at most MAX_LEASE − 1 each) and never more than the quota allows. Reads only.
   */
  usage(): { hour: { start: number; used: number }; day: { start: number; used: number } } {
    const now = Date.now();
    const hour = now - (now % HOUR);
    const day = now - (now % DAY);
    return { hour: { start: hour, used: this.#used("hour", hour) }, day: { start: day, used: this.#used("day", day) } };
  }

  #quota(offered: TokenQuota, version: number): TokenQuota {
    const known = this.#sql.exec<{ version: number; quota: string }>("SELECT version, quota FROM quota WHERE id = 1").toArray()[0];
    if (known && known.version > version) return JSON.parse(known.quota) as TokenQuota;
    this.#sql.exec(
      "INSERT INTO quota (id, version, quota) VALUES (1, ?, ?) ON CONFLICT (id) DO UPDATE SET version = excluded.version, quota = excluded.quota",
      version,
      JSON.stringify(offered),
    );
    return offered;
  }

  #used(span: string, start: number): number {
    const row = this.#sql.exec<{ start: number; used: number }>("SELECT start, used FROM issued WHERE span = ?", span).toArray()[0];
    return row && row.start === start ? row.used : 0;
  }
}
