import {
  CLOCK_SKEW_SECONDS,
  KV_WRITE_INTERVAL_MS,
  MAX_INDEX_LEASE,
  MAX_TOKEN_TTL_SECONDS,
  STATUS_LIST_CAPACITY,
  STATUS_LIST_WINDOW_SECONDS,
  staleRecordSeconds,
} from "../lib/limits.ts";
import { Mutex } from "../lib/mutex.ts";
import type { Cutoffs } from "../oauth/status.ts";
import { encodeList } from "../oauth/status-list.ts";
import type { Kv } from "../store/kv.ts";
import { CUTOFFS_KEY, revokedTokenKey, STATUS_LIST_PREFIX, statusListKey } from "../store/kv-keys.ts";
import { putTokenRevocation } from "../store/legacy-revocations.ts";
import type { IndexLease } from "../store/registry-protocol.ts";
import { liveClientRevocations } from "../store/registry-tables.ts";
import type { StatusListDocument } from "../store/status-documents.ts";
import * as tables from "../store/status-tables.ts";

/** A list with less of its window left than this takes no new lease: the next one does. */
const LEASE_MIN_LIFE_SECONDS = 60;
/** A KV write of a status document that failed is tried again this much later. */
const RETRY_MS = 10_000;

/**
 * The registry's status lists (draft-ietf-oauth-status-list) and cut-offs document: it hands out
 * ranges of list indices to isolates (never one index to two tokens), records revocations, and
 * writes the documents into KV, the edge's read copy, through an outbox: a document changed in a
 * transaction is marked there and written after it, each KV key at most once a second (KV's
 * limit), a failed write retried by the registry's alarm. The synchronous methods run inside
 * the registry's transactions.
 */
export class StatusLists {
  /** A document's changes since this instance started; one written at its count then is still current if the count is unchanged. */
  readonly #changes = new Map<string, number>();
  /** When each KV key was last written (epoch ms). */
  readonly #written = new Map<string, number>();
  readonly #failed = new Set<string>();
  readonly #publishing = new Mutex();

  readonly #sql: SqlStorage;
  readonly #kv: () => Kv;
  readonly #clientCacheSeconds: () => number;

  constructor(sql: SqlStorage, kv: () => Kv, clientCacheSeconds: () => number) {
    this.#sql = sql;
    this.#kv = kv;
    this.#clientCacheSeconds = clientCacheSeconds;
  }

  /** Marks a KV document as behind the tables: written by the next `publish`. */
  mark(document: string): void {
    tables.markUnpublished(this.#sql, document);
    this.#changes.set(document, (this.#changes.get(document) ?? 0) + 1);
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
    this.mark(r.list === null ? CUTOFFS_KEY : statusListKey(r.list));
    this.mark(revokedTokenKey(r.jti)); // for verifiers of earlier versions
    return true;
  }

  /** Drops lists whose every token has expired, and entries that can revoke no live token. */
  retire(now: number): void {
    let dropped = tables.purgeLegacyTokenRevocations(this.#sql, now);
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
   * change has been in KV long enough for every stale copy to be gone and the longest token
   * minted from one to have expired), and the revoked tokens from before status lists.
   */
  cutoffs(now: number): Cutoffs {
    const keep = staleRecordSeconds(this.#clientCacheSeconds()) + MAX_TOKEN_TTL_SECONDS + CLOCK_SKEW_SECONDS;
    return { clients: liveClientRevocations(this.#sql, now - keep), tokens: tables.legacyTokenRevocations(this.#sql, now) };
  }

  /**
   * Writes every marked document, one pass at a time: a document KV took less than a second ago
   * is written once the second is up, with every change made meanwhile. A caller waits for its
   * own change to reach KV (or to fail, and be left to the alarm), so a burst of changes to one
   * list costs one write a second, each answered within about a second.
   */
  publish(): Promise<void> {
    return this.#publishing.run(() => this.#pass());
  }

  async #pass(): Promise<void> {
    for (const document of tables.unpublished(this.#sql)) {
      // At most a second, whatever the clock did meanwhile.
      const wait = Math.min(KV_WRITE_INTERVAL_MS, (this.#written.get(document) ?? 0) + KV_WRITE_INTERVAL_MS - Date.now());
      if (wait > 0) await new Promise((r) => setTimeout(r, wait));
      if (!tables.unpublished(this.#sql).includes(document)) continue;
      const seen = this.#changes.get(document) ?? 0;
      try {
        await this.#write(document);
        this.#failed.delete(document);
      } catch (error) {
        this.#failed.add(document);
        console.error(
          JSON.stringify({ level: "error", registry: "status document not written; retried by the alarm", document, error: String(error) }),
        );
        continue;
      } finally {
        this.#written.set(document, Date.now());
      }
      if ((this.#changes.get(document) ?? 0) === seen) tables.markPublished(this.#sql, document);
    }
  }

  async #write(document: string): Promise<void> {
    const kv = this.#kv();
    const now = Math.floor(Date.now() / 1000);
    if (document === CUTOFFS_KEY) return kv.put(CUTOFFS_KEY, JSON.stringify(this.cutoffs(now)));
    if (document.startsWith(revokedTokenKey(""))) {
      const r = tables.tokenRevocation(this.#sql, document.slice(revokedTokenKey("").length));
      if (r) await putTokenRevocation(kv, { jti: r.jti, client_id: r.client_id, untilSeconds: r.until });
      return;
    }
    const list = Number(document.slice(STATUS_LIST_PREFIX.length));
    const doc = await this.listDocument(list, now);
    if (doc === null) return kv.delete(document);
    // KV drops it a minute after its last token expired, should the registry's deletion fail.
    await kv.put(document, JSON.stringify(doc), { expiration: doc.retire_at + 60 });
  }

  /** When the alarm must next run for status (epoch ms): a document due or to retry, a list or entry to drop. */
  dueAt(now = Date.now()): number | undefined {
    const times: number[] = [];
    for (const document of tables.unpublished(this.#sql)) {
      times.push(this.#failed.has(document) ? (this.#written.get(document) ?? now) + RETRY_MS : now);
    }
    for (const l of tables.lists(this.#sql)) if (l.retire_at !== null) times.push(l.retire_at * 1000);
    const legacy = Object.values(tables.legacyTokenRevocations(this.#sql, Math.floor(now / 1000)));
    if (legacy.length > 0) times.push(Math.min(...legacy) * 1000);
    return times.length > 0 ? Math.max(now, Math.min(...times)) : undefined;
  }
}
