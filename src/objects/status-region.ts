import { DurableObject } from "cloudflare:workers";
import { isRegion, type Region } from "../config/regions.ts";
import { type Env, settings } from "../config/settings.ts";
import { kekOf } from "../lib/kek.ts";
import { acceptedUntil, MAX_INDEX_LEASE, MAX_TOKEN_TTL_SECONDS } from "../lib/limits.ts";
import { nowSeconds } from "../lib/time.ts";
import { timed } from "../store/kv.ts";
import * as values from "../store/kv-values.ts";
import type { OwnerAnswer } from "../store/status-documents.ts";
import { type IndexLease, ownerOf, type RegionalRevocation, regionalList } from "../store/status-owners.ts";
import { createStatusTables, setStatusMeta, statusMeta } from "../store/status-tables.ts";
import { markDueForRefresh } from "./kv-rewrite.ts";
import { Outbox } from "./outbox.ts";
import { StatusLists } from "./status-lists.ts";

/** status_meta: the region this object serves, and the fingerprint of the KEK its KV values are authenticated under. */
const REGION_META = "region";
const KV_KEK_META = "kv_kek";

/**
 * One region's status lists (config/regions.ts): a Durable Object with SQLite storage, one per
 * continent, named by it and placed there. It leases index ranges of its own lists to the
 * isolates near it, takes the revocations of the tokens its lists carry (a token's status `uri`
 * names its list, and so this object), and writes each list's document to KV at most once a
 * second, however many revocations it carries. Nothing of key management is here: the
 * registry never waits on it, and it never waits on the registry.
 */
export class StatusRegion extends DurableObject<Env> {
  readonly #sql: SqlStorage;
  readonly #outbox: Outbox;
  #lists: StatusLists | undefined;
  /** Whether this instance has made sure its KV values are authenticated under this Worker's KEK. */
  #kekChecked = false;

  constructor(ctx: DurableObjectState, env: Env) {
    super(ctx, env);
    this.#sql = ctx.storage.sql;
    this.#outbox = new Outbox(this.#sql, (document) => this.#listsOf(undefined).write(document));
    void ctx.blockConcurrencyWhile(async () => {
      createStatusTables(this.#sql);
      values.createKvValueTable(this.#sql);
      const region = statusMeta(this.#sql, REGION_META);
      if (region !== undefined && (await this.#authenticateKv())) await this.#wake(Date.now());
    });
  }

  /**
   * Up to `want` indices for this isolate's next tokens, which live at most `ttlSeconds`. A list
   * handed out for the first time is in KV before the lease is answered; nothing else is waited
   * for (revocations' bits, the next list, made ahead of need): the alarm writes those.
   */
  async leaseStatusIndices(region: Region, want: number, ttlSeconds: number): Promise<IndexLease> {
    if (!Number.isInteger(want) || want < 1 || want > MAX_INDEX_LEASE || !Number.isInteger(ttlSeconds) || ttlSeconds < 1) {
      throw new TypeError("leaseStatusIndices: want and ttlSeconds must be positive integers");
    }
    const lists = await this.#ready(region);
    const lease = this.ctx.storage.transactionSync(() => lists.lease(want, Math.min(ttlSeconds, MAX_TOKEN_TTL_SECONDS), nowSeconds()));
    const key = lists.keyOf(lease.n);
    // A list KV already has serves as it is: its newer bits follow with the alarm's writes.
    if (!values.everWritten(this.#sql, key)) await this.#outbox.publishOnly(key);
    // The alarm runs at once only for what the lease left to write (the next list, made ahead
    // of need): each alarm is a Durable Object request, billed like the lease.
    const due = this.#due();
    if (due !== undefined) await this.#wake(due);
    return { list: regionalList(region, lease.n), start: lease.start, count: lease.count, until: lease.until };
  }

  /**
   * Sets a token's bit in its list. Answered once this object holds it and KV took the list's
   * next write (at most a second later, one write for every revocation meanwhile), or, should
   * that write fail, once the alarm has it to retry.
   */
  async revokeToken(region: Region, t: RegionalRevocation): Promise<{ revoked: boolean }> {
    const lists = await this.#ready(region);
    const revoked = this.ctx.storage.transactionSync(() => {
      lists.retire(nowSeconds());
      return lists.revoke({ jti: t.jti, client_id: t.client_id, until: acceptedUntil(t.exp), n: t.n, idx: t.idx });
    });
    if (revoked) await this.#outbox.publishOnly(lists.keyOf(t.n));
    const due = this.#due();
    if (due !== undefined) await this.#wake(due);
    return { revoked };
  }

  /** Whether the token at `idx` of list `n` is revoked: the registry asks it of a key manager's token. */
  isRevoked(region: Region, n: number, idx: number): boolean {
    return this.#listsOf(region).isRevoked(n, idx);
  }

  /**
   * A list as KV should hold it, for a reader whose KV does not have it yet (or one that does not
   * check out), null when there is none; and the numbers this object's lists have, so that the
   * reader asks about no number outside them again for a while.
   */
  async statusListDocument(region: Region, n: number): Promise<OwnerAnswer> {
    const lists = this.#listsOf(region);
    const value = await lists.listDocument(n, nowSeconds());
    return { document: value && { value, iat: values.iatOf(this.#sql, lists.keyOf(n)) }, bounds: lists.bounds() };
  }

  /** Retries the writes that failed, writes again the documents halfway through their life, retires lists whose tokens all expired. */
  override async alarm(): Promise<void> {
    if (statusMeta(this.#sql, REGION_META) === undefined) return;
    await this.#authenticateKv();
    markDueForRefresh({ sql: this.#sql, storage: this.ctx.storage, outbox: this.#outbox, hasSigningKeys: () => false }, nowSeconds());
    const lists = this.#listsOf(undefined);
    this.ctx.storage.transactionSync(() => lists.retire(nowSeconds()));
    await this.#outbox.publish();
    const due = this.#due();
    if (due !== undefined) await this.#wake(due);
  }

  /** This object's lists, once its KV values are known to be authenticated under this Worker's KEK. */
  async #ready(region: Region): Promise<StatusLists> {
    const lists = this.#listsOf(region);
    if (!this.#kekChecked && (await this.#authenticateKv())) await this.#wake(Date.now());
    return lists;
  }

  /** This object's lists; the region is fixed by the first call (every caller names it, as the object's name does). */
  #listsOf(region: Region | undefined): StatusLists {
    const known = statusMeta(this.#sql, REGION_META);
    if (region !== undefined && !isRegion(region)) throw new TypeError("not a region");
    if (known === undefined) {
      if (region === undefined) throw new Error("this status object has served no region yet");
      setStatusMeta(this.#sql, REGION_META, region);
    } else if (region !== undefined && known !== region) {
      throw new Error(`this status object serves region ${known}, not ${region}`);
    }
    const r = (region ?? known) as Region;
    this.#lists ??= new StatusLists({
      sql: this.#sql,
      outbox: this.#outbox,
      kv: () => timed(this.env.REVOCATIONS, settings(this.env).kvTimeoutMs),
      kekSecret: () => this.env.SIGNING_KEY_KEK,
      name: (n) => regionalList(r, n),
      numberOf: (name) => {
        const owner = ownerOf(name);
        return owner?.region === r ? owner.n : undefined;
      },
    });
    return this.#lists;
  }

  /**
   * After the KEK changed, every list is written again under the new one (isolates meanwhile
   * refuse the old copies and ask this object); true when it marked them.
   */
  async #authenticateKv(): Promise<boolean> {
    let fingerprint: string;
    try {
      fingerprint = (await kekOf(this.env.SIGNING_KEY_KEK)).fingerprint;
    } catch {
      return false;
    }
    this.#kekChecked = true;
    if (statusMeta(this.#sql, KV_KEK_META) === fingerprint) return false;
    const lists = this.#listsOf(undefined);
    this.ctx.storage.transactionSync(() => {
      values.forgetWritten(this.#sql);
      for (const key of lists.keys()) this.#outbox.mark(key);
      setStatusMeta(this.#sql, KV_KEK_META, fingerprint);
    });
    return true;
  }

  #due(): number | undefined {
    const refresh = values.nextRefresh(this.#sql);
    const times = [this.#outbox.dueAt(), this.#lists?.dueAt(), refresh === undefined ? undefined : refresh * 1000].filter(
      (t) => t !== undefined,
    );
    return times.length > 0 ? Math.min(...times) : undefined;
  }

  /** The alarm runs by `at` (epoch ms): an earlier one stays. */
  async #wake(at: number): Promise<void> {
    const current = await this.ctx.storage.getAlarm();
    if (current === null || current > at) await this.ctx.storage.setAlarm(at);
  }
}
