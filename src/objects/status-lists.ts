import {
  CLOCK_SKEW_SECONDS,
  MAX_INDEX_LEASE,
  MAX_TOKEN_TTL_SECONDS,
  STATUS_LIST_CAPACITY,
  STATUS_LIST_WINDOW_SECONDS,
} from "../lib/limits.ts";
import { encodeList } from "../oauth/status-list.ts";
import type { Kv } from "../store/kv.ts";
import { STATUS_LIST_PREFIX, statusListKey } from "../store/kv-keys.ts";
import { dropValue, putAuthenticated } from "../store/kv-values.ts";
import type { ListBounds, StatusListDocument } from "../store/status-documents.ts";
import * as tables from "../store/status-tables.ts";
import type { Outbox } from "./outbox.ts";

/** A list with less of its window left than this takes no new lease: the next one does. */
const LEASE_MIN_LIFE_SECONDS = 60;

/** Indices `start` to `start + count - 1` of list `n`, until `until` (epoch ms). */
export interface ListLease {
  n: number;
  start: number;
  count: number;
  until: number;
}

/** A revoked token by its place: list `n`, index `idx`, and until when its entry matters (epoch seconds). */
export interface PlacedRevocation {
  jti: string;
  client_id: string;
  until: number;
  n: number;
  idx: number;
}

export interface StatusListsContext {
  sql: SqlStorage;
  outbox: Outbox;
  kv: () => Kv;
  kekSecret: () => string | undefined;
  /** A list's public name by its number here: `300000017` for the 17th in Europe's object, `17` in the registry (store/status-owners.ts). */
  name: (n: number) => string;
  /** The number here of the list a public name names, when this owner owns it. */
  numberOf: (name: string) => number | undefined;
}

/**
 * One owner's status lists (draft-ietf-oauth-status-list): it hands out ranges of list indices
 * to isolates (never one index to two tokens), records revocations by place, and has each list's
 * document written into KV through the owner's outbox (objects/outbox.ts). The synchronous
 * methods run inside the owner's transactions. A region's status object owns lists of its own
 * (objects/status-region.ts); the registry keeps the lists made before regions until they retire.
 */
export class StatusLists {
  readonly #c: StatusListsContext;

  constructor(c: StatusListsContext) {
    this.#c = c;
  }

  keyOf(n: number): string {
    return statusListKey(this.#c.name(n));
  }

  /** Every list document this owner has in KV, by its KV key. */
  keys(): string[] {
    return tables.lists(this.#c.sql).map((l) => this.keyOf(l.list));
  }

  /**
   * Up to `want` indices of the list new tokens go into now, for tokens living at most
   * `ttlSeconds`. A list takes leases for an hour from its first; the next list is made (and
   * marked for KV) one list ahead, so that KV everywhere has it before its first token and no
   * lease waits for a list to be made.
   */
  lease(want: number, ttlSeconds: number, now: number): ListLease {
    const sql = this.#c.sql;
    const all = tables.lists(sql);
    let current = all.filter((l) => l.opened_at !== null).at(-1);
    if (
      !current ||
      current.opened_at! + STATUS_LIST_WINDOW_SECONDS - LEASE_MIN_LIFE_SECONDS <= now ||
      current.next_index >= STATUS_LIST_CAPACITY
    ) {
      current = all.find((l) => l.opened_at === null) ?? this.#newList(all);
      current.opened_at = now;
      this.#c.outbox.mark(this.keyOf(current.list));
    }
    const open = current.list;
    if (!tables.lists(sql).some((l) => l.opened_at === null && l.list !== open)) this.#newList(tables.lists(sql));

    const count = Math.min(Math.max(1, Math.floor(want)), MAX_INDEX_LEASE, STATUS_LIST_CAPACITY - current.next_index);
    const start = current.next_index;
    current.next_index += count;
    if (ttlSeconds > current.max_ttl) {
      current.max_ttl = ttlSeconds;
      this.#c.outbox.mark(this.keyOf(current.list)); // its KV entry must outlive the longer tokens
    }
    const windowEnd = current.opened_at! + STATUS_LIST_WINDOW_SECONDS;
    current.retire_at = windowEnd + current.max_ttl + CLOCK_SKEW_SECONDS;
    tables.updateList(sql, current);
    return { n: current.list, start, count, until: windowEnd * 1000 };
  }

  #newList(all: tables.ListRow[]): tables.ListRow {
    const list = (all.at(-1)?.list ?? 0) + 1;
    tables.insertList(this.#c.sql, list);
    this.#c.outbox.mark(this.keyOf(list));
    return tables.listRow(this.#c.sql, list)!;
  }

  /** Records a token's revocation; false when there is nothing to do (revoked already, or its list retired with it). */
  revoke(r: PlacedRevocation): boolean {
    if (!tables.listRow(this.#c.sql, r.n) || !Number.isInteger(r.idx) || r.idx < 0 || r.idx >= STATUS_LIST_CAPACITY) return false;
    if (!tables.insertTokenRevocation(this.#c.sql, { jti: r.jti, client_id: r.client_id, until: r.until, list: r.n, idx: r.idx })) {
      return false;
    }
    // One document per list, however many revocations it carries: no KV key per token (docs/storage.md).
    this.#c.outbox.mark(this.keyOf(r.n));
    return true;
  }

  isRevoked(n: number, idx: number): boolean {
    return tables.isRevokedAt(this.#c.sql, n, idx);
  }

  /** Drops the lists whose every token has expired (their KV documents are deleted). */
  retire(now: number): void {
    for (const l of tables.lists(this.#c.sql)) {
      if (l.retire_at !== null && l.retire_at <= now) {
        tables.deleteList(this.#c.sql, l.list);
        this.#c.outbox.mark(this.keyOf(l.list)); // written as a deletion
      }
    }
  }

  /** The lowest and highest list numbers this owner has (none: lowest 1, highest 0). */
  bounds(): ListBounds {
    const all = tables.lists(this.#c.sql);
    return all.length === 0 ? { lowest: 1, highest: 0 } : { lowest: all[0]!.list, highest: all.at(-1)!.list };
  }

  /** A list as KV holds it, or null when there is none. */
  async listDocument(n: number, now: number): Promise<StatusListDocument | null> {
    const row = tables.listRow(this.#c.sql, n);
    if (!row) return null;
    const json = await encodeList(STATUS_LIST_CAPACITY, tables.revokedIndices(this.#c.sql, n));
    // A list still waiting for its first lease lives at most as long as one opened now would.
    const retire_at = row.retire_at ?? now + STATUS_LIST_WINDOW_SECONDS + MAX_TOKEN_TTL_SECONDS + CLOCK_SKEW_SECONDS;
    return { ...json, retire_at };
  }

  /** The list number a KV key of this owner's names, if it is one. */
  numberOf(document: string): number | undefined {
    if (!document.startsWith(STATUS_LIST_PREFIX)) return undefined;
    const n = this.#c.numberOf(document.slice(STATUS_LIST_PREFIX.length));
    return n !== undefined && this.keyOf(n) === document ? n : undefined;
  }

  /** Puts a list, as the tables have it now, into KV (the outbox's writer for these), or deletes it once retired. */
  async write(document: string): Promise<void> {
    const n = this.numberOf(document);
    if (n === undefined) throw new TypeError(`${document} is not a status list of this owner`);
    const kv = this.#c.kv();
    const doc = await this.listDocument(n, Math.floor(Date.now() / 1000));
    if (doc === null) {
      await kv.delete(document);
      dropValue(this.#c.sql, document);
      return;
    }
    // KV drops it a minute after its last token expired, should the owner's deletion fail.
    await putAuthenticated(this.#c.sql, kv, this.#c.kekSecret(), document, JSON.stringify(doc), { expiration: doc.retire_at + 60 });
  }

  /** When the alarm must next run for these lists (epoch ms): a list to retire. */
  dueAt(now = Date.now()): number | undefined {
    const times = tables.lists(this.#c.sql).flatMap((l) => (l.retire_at === null ? [] : [l.retire_at * 1000]));
    return times.length > 0 ? Math.max(now, Math.min(...times)) : undefined;
  }
}
