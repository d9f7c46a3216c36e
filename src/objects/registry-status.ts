import { DEFAULT_REGION } from "../config/regions.ts";
import { type Env, settings } from "../config/settings.ts";
import { acceptedUntil, STATUS_CHECK_TIMEOUT_MS } from "../lib/limits.ts";
import { nowSeconds } from "../lib/time.ts";
import { within } from "../lib/within.ts";
import type { Cutoffs } from "../oauth/status.ts";
import type { Kv } from "../store/kv.ts";
import { CUTOFFS_KEY, revokedTokenKey, statusListKey } from "../store/kv-keys.ts";
import * as values from "../store/kv-values.ts";
import type { Caller, RevokedToken } from "../store/registry-protocol.ts";
import type { OwnerAnswer, StatusListDocument, Versioned } from "../store/status-documents.ts";
import { ownerOf, statusRegion } from "../store/status-owners.ts";
import { isRevokedAt } from "../store/status-tables.ts";
import { cutoffsDueAt, cutoffsOf, retireCutoffEntries, revokeByJti } from "./cutoffs.ts";
import type { Outbox } from "./outbox.ts";
import { StatusLists } from "./status-lists.ts";

export interface RegistryStatusContext {
  sql: SqlStorage;
  storage: DurableObjectStorage;
  outbox: Outbox;
  env: () => Env;
  revocations: () => Kv;
}

/**
 * The registry's part in token status: the cut-offs document, the revocations of tokens from
 * before status lists (by jti), the lists made before regions (kept, revoked in and retired
 * here, leased from no more), what isolates of the version before regions still ask it
 * mid-deploy (passed on to the list's owner), and the status bit of a key manager's token.
 * Everything else about token status is the region's status object's (objects/status-region.ts).
 */
export class RegistryStatus {
  readonly #c: RegistryStatusContext;
  readonly #lists: StatusLists;

  constructor(c: RegistryStatusContext) {
    this.#c = c;
    this.#lists = new StatusLists({
      sql: c.sql,
      outbox: c.outbox,
      kv: c.revocations,
      kekSecret: () => c.env().SIGNING_KEY_KEK,
      name: String,
      numberOf: (name) => {
        const owner = ownerOf(name);
        return owner && owner.region === undefined ? owner.n : undefined;
      },
    });
  }

  /** Indices for an isolate of the version before regions: from the default region's object, as a request without a continent gets them. */
  async leaseForEarlierVersion(want: number, ttlSeconds: number): Promise<{ list: number; start: number; count: number; until: number }> {
    const lease = await statusRegion(this.#c.env(), DEFAULT_REGION).leaseStatusIndices(DEFAULT_REGION, want, ttlSeconds);
    return { ...lease, list: Number(lease.list) };
  }

  /**
   * Revokes a token whose status the registry holds (a jti, or a bit of a list from before
   * regions), or passes it on to its list's owner (asked by an isolate of the version before
   * regions). Answered once the owner holds it and KV took that document's next write (or the
   * alarm has it to retry).
   */
  async revoke(t: RevokedToken): Promise<{ revoked: boolean }> {
    const owner = t.status && ownerOf(t.status.list);
    if (t.status && owner === undefined) return { revoked: false }; // no list of ours: nothing to set
    if (owner?.region !== undefined) {
      const { jti, client_id, exp } = t;
      return statusRegion(this.#c.env(), owner.region).revokeToken(owner.region, { jti, client_id, exp, n: owner.n, idx: t.status!.idx });
    }
    const { sql, outbox } = this.#c;
    const until = acceptedUntil(t.exp);
    const revoked = this.#c.storage.transactionSync(() => {
      this.retire(nowSeconds());
      if (!owner) {
        const done = revokeByJti(sql, { jti: t.jti, client_id: t.client_id, until });
        if (done) outbox.mark(CUTOFFS_KEY);
        return done;
      }
      return this.#lists.revoke({ jti: t.jti, client_id: t.client_id, until, n: owner.n, idx: t.status!.idx });
    });
    await outbox.publishOnly(owner ? statusListKey(String(owner.n)) : CUTOFFS_KEY);
    return { revoked };
  }

  /** A list as KV should hold it: one from before regions from here, any other from its owner; null when there is none. */
  async listDocument(list: number): Promise<Versioned<StatusListDocument> | null> {
    const owner = ownerOf(list);
    if (owner === undefined) return null;
    const answer =
      owner.region === undefined
        ? await this.legacyList(owner.n)
        : await statusRegion(this.#c.env(), owner.region).statusListDocument(owner.region, owner.n);
    return answer.document;
  }

  /** A list from before regions, and the numbers those lists have (as a region's object answers for its own). */
  async legacyList(n: number): Promise<OwnerAnswer> {
    const value = await this.#lists.listDocument(n, nowSeconds());
    return { document: value && { value, iat: values.iatOf(this.#c.sql, statusListKey(String(n))) }, bounds: this.#lists.bounds() };
  }

  cutoffs(): Cutoffs {
    return cutoffsOf(this.#c.sql, nowSeconds(), settings(this.#c.env()).clientCacheSeconds);
  }

  cutoffsDocument(): Versioned<Cutoffs> {
    return { value: this.cutoffs(), iat: values.iatOf(this.#c.sql, CUTOFFS_KEY) };
  }

  /** The outbox's writer for the status documents: the cut-offs, or a list from before regions. */
  async write(document: string): Promise<void> {
    if (document === CUTOFFS_KEY) {
      const { sql, env } = this.#c;
      return values.putAuthenticated(sql, this.#c.revocations(), env().SIGNING_KEY_KEK, CUTOFFS_KEY, JSON.stringify(this.cutoffs()));
    }
    // Marked by versions that wrote a key per revoked token for earlier verifiers: nothing to write now.
    if (document.startsWith(revokedTokenKey(""))) return;
    return this.#lists.write(document);
  }

  /** Drops the lists and entries whose tokens have all expired. Inside a transaction. */
  retire(now: number): void {
    this.#lists.retire(now);
    if (retireCutoffEntries(this.#c.sql, now)) this.#c.outbox.mark(CUTOFFS_KEY);
  }

  /** When the alarm must next run for these (epoch ms), if ever. */
  dueAt(): number | undefined {
    const times = [this.#lists.dueAt(), cutoffsDueAt(this.#c.sql)].filter((t) => t !== undefined);
    return times.length > 0 ? Math.min(...times) : undefined;
  }

  /**
   * Whether a key manager's status bit is set, as its list's owner holds it (asked before the
   * change's transaction, which cannot wait on another object); undefined when the owner cannot
   * be asked. A list no owner answers to is a bit set: no token of ours names one.
   */
  async bitOf(caller: Caller): Promise<boolean | undefined> {
    if (caller.kind !== "key" || caller.claims.status === undefined) return false;
    const { list, idx } = caller.claims.status;
    const owner = ownerOf(list);
    if (owner === undefined) return true;
    if (owner.region === undefined) return isRevokedAt(this.#c.sql, owner.n, idx);
    try {
      const asked = statusRegion(this.#c.env(), owner.region).isRevoked(owner.region, owner.n, idx);
      return await within(asked, STATUS_CHECK_TIMEOUT_MS, () => new Error(`no answer within ${STATUS_CHECK_TIMEOUT_MS} ms`));
    } catch (error) {
      console.error(JSON.stringify({ level: "error", registry: "a caller's status could not be checked", list, error: String(error) }));
      return undefined;
    }
  }
}
