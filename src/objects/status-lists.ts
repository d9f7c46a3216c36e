import {
  CLOCK_SKEW_SECONDS,
  KV_RECORD_LIFETIME_SECONDS,
  MAX_INDEX_LEASE,
  MAX_TOKEN_TTL_SECONDS,
  STATUS_LIST_CAPACITY,
  STATUS_LIST_WINDOW_SECONDS,
  staleRecordSeconds,
} from "../lib/limits.ts";
import type { Cutoffs } from "../oauth/status.ts";
import { encodeList } from "../oauth/status-list.ts";
import type { Kv } from "../store/kv.ts";
import { CUTOFFS_KEY, revokedTokenKey, STATUS_LIST_PREFIX, statusListKey } from "../store/kv-keys.ts";
import { dropValue, putAuthenticated } from "../store/kv-values.ts";
import { liveRecordFloors } from "../store/record-floors.ts";
import type { IndexLease } from "../store/registry-protocol.ts";
import { liveClientRevocations } from "../store/registry-tables.ts";
import { liveKidRevocations, purgeKidRevocations } from "../store/signing-key-tables.ts";
import type { StatusListDocument } from "../store/status-documents.ts";
import * as tables from "../store/status-tables.ts";
import type { Outbox } from "./outbox.ts";

/** A list with less of its window left than this takes no new lease: the next one does. */
const LEASE_MIN_LIFE_SECONDS = 60;

/**
 * The registry's status lists (draft-ietf-oauth-status-list) and cut-offs document: it hands out
 * ranges of list indices to isolates (never one index to two tokens), records revocations, and
 * has the documents written into KV, the edge's read copy, through the registry's outbox
 * (objects/outbox.ts). The synchronous methods run inside the registry's transactions.
 */
export class StatusLists {
  readonly #sql: SqlStorage;
  readonly #outbox: Outbox;
  readonly #kv: () => Kv;
  readonly #kekSecret: () => string | undefined;
  readonly #clientCacheSeconds: () => number;

  constructor(sql: SqlStorage, outbox: Outbox, kv: () => Kv, kekSecret: () => string | undefined, clientCacheSeconds: () => number) {
    this.#sql = sql;
    this.#outbox = outbox;
    this.#kv = kv;
    this.#kekSecret = kekSecret;
    this.#clientCacheSeconds = clientCacheSeconds;
  }

  /** Marks a KV document as behind the tables: written by the outbox's next `publish`. */
  mark(document: string): void {
    this.#outbox.mark(document);
  }

  /**
   * Up to `want` indices of the list new tokens go into now, for tokens living at most
   * `ttlSeconds`. A list takes leases for an hour from its first; the next list is made (and
   * written to KV) one list ahead, so that KV everywhere has it before its first token.
   */
  lease(want: number, ttlSeconds: number, now: number): IndexLease {
    const all = tables.lists(this.#sql);
    const opened = all.filter((l) => l.opened_at !== null);
    let current = opened.at(-1);
    if (
      !current ||
      current.opened_at! + STATUS_LIST_WINDOW_SECONDS - LEASE_MIN_LIFE_SECONDS <= now ||
      current.next_index >= STATUS_LIST_CAPACITY
    ) {
      current = all.find((l) => l.opened_at === null) ?? this.#newList(all);
      current.opened_at = now;
      this.mark(statusListKey(current.list));
    }
    if (!tables.lists(this.#sql).some((l) => l.opened_at === null && l.list !== current.list)) this.#newList(tables.lists(this.#sql));

    const count = Math.min(Math.max(1, Math.floor(want)), MAX_INDEX_LEASE, STATUS_LIST_CAPACITY - current.next_index);
    const start = current.next_index;
    current.next_index += count;
    if (ttlSeconds > current.max_ttl) {
      current.max_ttl = ttlSeconds;
      this.mark(statusListKey(current.list)); // its KV entry must outlive the longer tokens
    }
    const windowEnd = current.opened_at! + STATUS_LIST_WINDOW_SECONDS;
    current.retire_at = windowEnd + current.max_ttl + CLOCK_SKEW_SECONDS;
    tables.updateList(this.#sql, current);
    return { list: current.list, start, count, until: windowEnd * 1000 };
  }

  #newList(all: tables.ListRow[]): tables.ListRow {
    const list = (all.at(-1)?.list ?? 0) + 1;
    tables.insertList(this.#sql, list);
    this.mark(statusListKey(list));
    return tables.listRow(this.#sql, list)!;
  }

  /** Records a token's revocation; false when there is nothing to do (revoked already, or its list retired with it). */
  revoke(r: tables.TokenRevocation): boolean {
    if (r.list !== null && (!tables.listRow(this.#sql, r.list) || r.idx === null || r.idx >= STATUS_LIST_CAPACITY)) return false;
    if (!tables.insertTokenRevocation(this.#sql, r)) return false;
    // One document per revocation, however many it carries: no KV key per token (docs/storage.md).
    this.mark(r.list === null ? CUTOFFS_KEY : statusListKey(r.list));
    return true;
  }

  /** Drops lists whose every token has expired, and entries that can revoke no live token. */
  retire(now: number): void {
    let dropped = tables.purgeLegacyTokenRevocations(this.#sql, now);
    if (purgeKidRevocations(this.#sql, now)) dropped = true;
    for (const l of tables.lists(this.#sql)) {
      if (l.retire_at !== null && l.retire_at <= now) {
        tables.deleteList(this.#sql, l.list);
        this.mark(statusListKey(l.list)); // written as a deletion
        dropped = true;
      }
    }
    if (dropped) this.mark(CUTOFFS_KEY);
  }

  /** A list as KV holds it, or null when there is none. */
  async listDocument(list: number, now: number): Promise<StatusListDocument | null> {
    const row = tables.listRow(this.#sql, list);
    if (!row) return null;
    const json = await encodeList(STATUS_LIST_CAPACITY, tables.revokedIndices(this.#sql, list));
    // A list still waiting for its first lease lives at most as long as one opened now would.
    const retire_at = row.retire_at ?? now + STATUS_LIST_WINDOW_SECONDS + MAX_TOKEN_TTL_SECONDS + CLOCK_SKEW_SECONDS;
    return { ...json, retire_at };
  }

  /**
   * The cut-offs document: every client cut-off that can still revoke a live token (until its
   * change has been in KV long enough for every stale copy to be gone, a copy of the record put
   * back to have lapsed (KV_RECORD_LIFETIME_SECONDS), and the longest token minted from one to
   * have expired), the revoked tokens from before status lists, and the kids an emergency
   * rotation revoked, and the record floors (store/record-floors.ts).
   */
  cutoffs(now: number): Cutoffs {
    const keep = staleRecordSeconds(this.#clientCacheSeconds()) + KV_RECORD_LIFETIME_SECONDS + MAX_TOKEN_TTL_SECONDS + CLOCK_SKEW_SECONDS;
    return {
      clients: liveClientRevocations(this.#sql, now - keep),
      tokens: tables.legacyTokenRevocations(this.#sql, now),
      kids: liveKidRevocations(this.#sql, now),
      records: liveRecordFloors(this.#sql, now),
    };
  }

  /** Puts a status document, as the tables have it now, into KV (the outbox's writer for these). */
  async write(document: string): Promise<void> {
    const kv = this.#kv();
    const now = Math.floor(Date.now() / 1000);
    const put = (payload: string, o?: { expiration: number }) => putAuthenticated(this.#sql, kv, this.#kekSecret(), document, payload, o);
    if (document === CUTOFFS_KEY) return put(JSON.stringify(this.cutoffs(now)));
    // Marked by versions that wrote a key per revoked token for earlier verifiers: nothing to write now.
    if (document.startsWith(revokedTokenKey(""))) return;
    const list = Number(document.slice(STATUS_LIST_PREFIX.length));
    const doc = await this.listDocument(list, now);
    if (doc === null) {
      await kv.delete(document);
      dropValue(this.#sql, document);
      return;
    }
    // KV drops it a minute after its last token expired, should the registry's deletion fail.
    await put(JSON.stringify(doc), { expiration: doc.retire_at + 60 });
  }

  /** When the alarm must next run for status (epoch ms): a list or an entry to drop. */
  dueAt(now = Date.now()): number | undefined {
    const times: number[] = [];
    for (const l of tables.lists(this.#sql)) if (l.retire_at !== null) times.push(l.retire_at * 1000);
    const nowSeconds = Math.floor(now / 1000);
    const untils = [
      ...Object.values(tables.legacyTokenRevocations(this.#sql, nowSeconds)),
      ...Object.values(liveKidRevocations(this.#sql, nowSeconds)),
    ];
    if (untils.length > 0) times.push(Math.min(...untils) * 1000);
    return times.length > 0 ? Math.max(now, Math.min(...times)) : undefined;
  }
}
