import { DurableObject } from "cloudflare:workers";
import { type Env, settings } from "../config/settings.ts";
import { HttpError } from "../lib/errors.ts";
import { staleRecordSeconds } from "../lib/limits.ts";
import { nowSeconds } from "../lib/time.ts";
import { assertMayDelete, assertMayGive, assertMayUpdate, narrows } from "../policy/key-management-rules.ts";
import {
  type ApplicationKey,
  authMethodOf,
  forgetApplicationKey,
  newApplicationKey,
  newSecret,
  permissionsOf,
} from "../store/application-keys.ts";
import { timed } from "../store/kv.ts";
import { UUID_PATTERN } from "../store/kv-keys.ts";
import { type LegacyKey, readLegacyKey, readLegacyKeys } from "../store/legacy-import.ts";
import type { Answer, AuditLine, Caller, Change, KeyChanges, NewKey } from "../store/registry-protocol.ts";
import * as tables from "../store/registry-tables.ts";
import { ALL_TOKENS, rememberClientRevocation } from "../store/revocations.ts";
import { writeThrough } from "../store/write-through.ts";
import { auditLine, auditSnapshot, changeAction, tightensPossession, withChanges } from "./registry-changes.ts";

/**
 * The one writer of application keys, their tombstones and client-wide revocations: a Durable
 * Object with SQLite storage, one per deployment. Every create, update and delete is one
 * transaction here, its rules checked against the current record and its write guarded by the
 * record's version; a client-wide revocation is only ever raised and a deletion is final. After
 * the transaction the key's state is written through to KV, the edge's read copy, which the
 * token path reads (never this object). A write-through that fails stays marked in the
 * `write_through` table and is retried by the alarm. The audit trail lives here too.
 */
export class Registry extends DurableObject<Env> {
  readonly #sql: SqlStorage;
  /** Write-throughs run one at a time, in commit order; a client already waiting is not queued twice. */
  #writing: Promise<void> = Promise.resolve();
  readonly #waiting = new Set<string>();

  constructor(ctx: DurableObjectState, env: Env) {
    super(ctx, env);
    this.#sql = ctx.storage.sql;
    void ctx.blockConcurrencyWhile(async () => {
      tables.createTables(this.#sql);
      if (tables.metaValue(this.#sql, "legacy_import") === undefined) {
        const legacy = await readLegacyKeys(this.#kv("CLIENTS"), this.#kv("REVOCATIONS"));
        this.ctx.storage.transactionSync(() => {
          for (const k of legacy) this.#adopt(k);
          tables.setMetaValue(this.#sql, "legacy_import", new Date().toISOString());
        });
      }
    });
  }

  async create(caller: Caller, attributes: NewKey): Promise<Answer<Change>> {
    const { record, clientSecret } = await newApplicationKey({ ...attributes, created_by: actorOf(caller) });
    if (attributes.token_quota) record.token_quota = attributes.token_quota;
    const answer = this.#transaction(() => {
      if (caller.kind === "bootstrap" && tables.liveKeyCount(this.#sql) > 0) {
        throw new HttpError(409, "conflict", "This deployment already has application keys: the bootstrap secret is spent.");
      }
      if (caller.kind === "key") {
        this.#assertLive(caller);
        assertMayGive(caller.claims, attributes);
      }
      assertCanProveItself(record);
      tables.insertKey(this.#sql, record);
      return this.#commit(caller, "create", record.id, record.client_id, null, record, undefined);
    });
    return answer.ok ? { ok: true, value: { ...(await this.#propagated(answer.value)), client_secret: clientSecret } } : answer;
  }

  async update(caller: Caller, id: string, changes: KeyChanges): Promise<Answer<Change & { previous: ApplicationKey }>> {
    await this.#adoptById(id);
    // Made before the transaction (hashing is asynchronous), used only if the key had no secret.
    const secret = changes.token_endpoint_auth_method === "client_secret_basic" ? await newSecret() : undefined;
    const answer = this.#transaction(() => {
      const current = this.#live(id);
      const next = withChanges(current.record, changes, new Date());
      let issued: string | undefined;
      if (secret && authMethodOf(current.record) === "private_key_jwt") {
        next.secret_hash = secret.hash;
        issued = secret.secret;
      }
      // Anything but a name is what the key may do or how it proves itself: the caller must hold all of it.
      const beyondName = changeAction(changes) === "update";
      if (caller.kind === "key") {
        this.#assertLive(caller);
        if (beyondName) assertMayUpdate(caller.claims, current.record, permissionsOf(next));
      }
      assertCanProveItself(next);
      let revocation: number | undefined;
      if (beyondName && (narrows(current.record, permissionsOf(next)) || tightensPossession(current.record, next))) {
        // Every token issued before the narrower record has certainly reached every isolate and location.
        const cutoff = nowSeconds() + staleRecordSeconds(settings(this.env).clientCacheSeconds);
        revocation = tables.raiseClientRevocation(this.#sql, current.client_id, cutoff);
        next.revoked_through = Math.max(cutoff, current.record.revoked_through ?? 0);
      }
      tables.replaceKey(this.#sql, current, next);
      return {
        ...this.#commit(caller, changeAction(changes), id, current.client_id, current.record, next, revocation),
        previous: current.record,
        ...(issued === undefined ? {} : { client_secret: issued }),
      };
    });
    return answer.ok ? { ok: true, value: await this.#propagated(answer.value) } : answer;
  }

  /** After it, the key cannot get tokens and every token it was ever issued fails verification everywhere. */
  async remove(caller: Caller, id: string): Promise<Answer<Change>> {
    await this.#adoptById(id);
    const answer = this.#transaction(() => {
      const current = this.#live(id);
      if (caller.kind === "key") {
        this.#assertLive(caller);
        assertMayDelete(caller.claims, current.record);
      }
      // Whatever its iat, for good: stale copies of the record may mint tokens for a while yet.
      const revocation = tables.raiseClientRevocation(this.#sql, current.client_id, ALL_TOKENS);
      tables.replaceKey(this.#sql, current, current.record, new Date().toISOString());
      return this.#commit(caller, "delete", id, current.client_id, current.record, null, revocation);
    });
    return answer.ok ? { ok: true, value: await this.#propagated(answer.value) } : answer;
  }

  async get(id: string): Promise<Answer<ApplicationKey>> {
    await this.#adoptById(id);
    return this.#transaction(() => this.#live(id).record);
  }

  list(limit: number, offset: number): { records: ApplicationKey[]; total: number } {
    return this.ctx.storage.transactionSync(() => ({
      records: tables.liveKeys(this.#sql, limit, offset),
      total: tables.liveKeyCount(this.#sql),
    }));
  }

  auditTrail(keyId: string | undefined, limit: number, offset: number): { entries: tables.AuditRecord[]; total: number } {
    return tables.auditPage(this.#sql, keyId, limit, offset);
  }

  /** Retries every write-through that has not reached KV yet. */
  override async alarm(): Promise<void> {
    await Promise.all(tables.behind(this.#sql).map((clientId) => this.#writeThrough(clientId)));
  }

  #kv(binding: "CLIENTS" | "REVOCATIONS") {
    return timed(this.env[binding], settings(this.env).kvTimeoutMs);
  }

  /** Runs `fn` as one transaction; a rule it breaks (an HttpError) rolls it back and becomes the answer. */
  #transaction<T>(fn: () => T): Answer<T> {
    try {
      return { ok: true, value: this.ctx.storage.transactionSync(fn) };
    } catch (error) {
      if (!(error instanceof HttpError)) throw error;
      return { ok: false, refusal: { status: error.status, code: error.code, detail: error.detail, headers: error.headers } };
    }
  }

  #live(id: string): tables.KeyRow {
    const row = tables.keyById(this.#sql, id);
    if (!row || row.deleted_at !== null) throw new HttpError(404, "not_found", "There is no application key with this id.");
    return row;
  }

  /** The acting key as the registry knows it now: a deleted key, or a token its key's narrowing revoked, acts no more. */
  #assertLive(caller: Extract<Caller, { kind: "key" }>): void {
    const row = tables.keyByClientId(this.#sql, caller.claims.client_id);
    const revokedThrough = tables.clientRevocation(this.#sql, caller.claims.client_id);
    if (!row || row.deleted_at !== null || (revokedThrough !== undefined && caller.claims.iat <= revokedThrough)) {
      throw new HttpError(401, "invalid_token", "The access token is missing, invalid, expired or revoked.");
    }
  }

  /** The audit entry and the write-through mark, in the change's own transaction. */
  #commit(
    caller: Caller,
    action: tables.AuditAction,
    id: string,
    clientId: string,
    before: ApplicationKey | null,
    after: ApplicationKey | null,
    revocation: number | undefined,
  ): Change {
    const now = Date.now();
    tables.appendAudit(
      this.#sql,
      { actor: actorOf(caller), action, key_id: id, old: auditSnapshot(before), new: auditSnapshot(after) },
      now,
    );
    tables.purgeAudit(this.#sql, now - settings(this.env).auditRetentionDays * 86_400_000);
    tables.markBehind(this.#sql, clientId);
    const record = tables.keyById(this.#sql, id)!.record;
    const audit: AuditLine = auditLine(actorOf(caller), action, id, before, after);
    return { record, audit, revocation, propagated: false };
  }

  async #propagated<T extends Change>(change: T): Promise<T> {
    // The isolate this object runs in learns the change at once, as the one that asked does.
    forgetApplicationKey(change.record.client_id);
    if (change.revocation !== undefined) rememberClientRevocation(change.record.client_id, change.revocation);
    return { ...change, propagated: await this.#writeThrough(change.record.client_id) };
  }

  /** Writes a client's current state into KV; false (and the alarm set) when KV refused. */
  #writeThrough(clientId: string): Promise<boolean> {
    if (this.#waiting.has(clientId)) return this.#writing.then(() => tables.behind(this.#sql).includes(clientId) === false);
    this.#waiting.add(clientId);
    const run = this.#writing.then(async () => {
      this.#waiting.delete(clientId);
      const row = tables.keyByClientId(this.#sql, clientId);
      if (!row) return true;
      const version = row.version;
      try {
        const revocation = tables.clientRevocation(this.#sql, clientId);
        await writeThrough(this.#kv("CLIENTS"), this.#kv("REVOCATIONS"), { ...row, revocation });
      } catch (error) {
        console.error(
          JSON.stringify({
            level: "error",
            registry: "write-through failed; retried by the alarm",
            client_id: clientId,
            error: String(error),
          }),
        );
        await this.ctx.storage.setAlarm(Date.now() + 10_000);
        return false;
      }
      // A change committed while this write ran is marked again and written next.
      if (tables.keyByClientId(this.#sql, clientId)?.version === version) tables.markCaughtUp(this.#sql, clientId);
      return true;
    });
    this.#writing = run.then(() => undefined);
    return run;
  }

  /** A key the registry has never seen but KV holds (written by a version before the registry). */
  async #adoptById(id: string): Promise<void> {
    if (!UUID_PATTERN.test(id) || tables.keyById(this.#sql, id)) return;
    const legacy = await readLegacyKey(this.#kv("CLIENTS"), this.#kv("REVOCATIONS"), id);
    if (legacy && !tables.keyById(this.#sql, id)) this.ctx.storage.transactionSync(() => this.#adopt(legacy));
  }

  #adopt(k: LegacyKey): void {
    if (tables.keyById(this.#sql, k.record.id) || tables.keyByClientId(this.#sql, k.record.client_id)) return;
    tables.insertKey(this.#sql, k.record, k.deleted_at);
    if (k.revocation !== undefined) tables.raiseClientRevocation(this.#sql, k.record.client_id, k.revocation);
  }
}

/** A private_key_jwt key must have keys to prove itself with. */
function assertCanProveItself(r: ApplicationKey): void {
  if (authMethodOf(r) === "private_key_jwt" && !r.jwks?.keys.length) {
    throw new HttpError(400, "invalid_request", 'A private_key_jwt key needs "data.jwks": the public keys it signs its assertions with.');
  }
}

function actorOf(caller: Caller): string {
  return caller.kind === "key" ? caller.claims.client_id : caller.kind === "operator" ? caller.actor : "bootstrap";
}
