import { DurableObject } from "cloudflare:workers";
import { type Env, settings } from "../config/settings.ts";
import { HttpError } from "../lib/errors.ts";
import { retiringKeySeconds } from "../lib/limits.ts";
import { nowSeconds } from "../lib/time.ts";
import type { Cutoffs } from "../oauth/status.ts";
import { assertMayRotate } from "../policy/key-management-rules.ts";
import { type ApplicationKey, newApplicationKey, newSecret } from "../store/application-keys.ts";
import { forgetApplicationKey } from "../store/key-records.ts";
import { timed } from "../store/kv.ts";
import { CUTOFFS_KEY, clientKey, SIGNING_KEYS_KEY } from "../store/kv-keys.ts";
import * as values from "../store/kv-values.ts";
import { createRecordFloorTable } from "../store/record-floors.ts";
import type {
  Answer,
  Caller,
  Change,
  KeyAnswer,
  KeyChanges,
  NewKey,
  RevokedToken,
  RotationRequest,
  RotationResult,
  SigningKeyView,
} from "../store/registry-protocol.ts";
import * as tables from "../store/registry-tables.ts";
import { createSigningKeyTables, type SigningKeyEvent, signingKeyEvents } from "../store/signing-key-tables.ts";
import type { SigningKeysAnswer } from "../store/signing-keys-document.ts";
import type { OwnerAnswer, StatusListDocument, Versioned } from "../store/status-documents.ts";
import { createStatusTables, longestLeasedTtl } from "../store/status-tables.ts";
import { forgetSigningKeys } from "../tokens/signing-keys.ts";
import { rememberCutoff, rememberRevokedKid } from "../tokens/status-check.ts";
import { createKey, type KeyChangeContext, liveKey, removeKey, rotateKeySecret, updateKey } from "./key-changes.ts";
import { KeyCopies } from "./key-copies.ts";
import { authenticateKv, markDueForRefresh, type Rewrite } from "./kv-rewrite.ts";
import { assertLive } from "./live-caller.ts";
import { Outbox } from "./outbox.ts";
import { actorOf } from "./registry-changes.ts";
import { type ImportContext, importLegacyKeys, importLegacyTokenRevocations } from "./registry-import.ts";
import { RegistryStatus } from "./registry-status.ts";
import { SigningKeys } from "./signing-keys.ts";

/**
 * The one writer of application keys, their tombstones, client-wide cut-offs and the signing
 * keys: a Durable Object with SQLite storage, one per deployment. Every create, update
 * and delete is one transaction here (its body: objects/key-changes.ts), its rules checked
 * against the current record and its write guarded by the record's version; a cut-off is only
 * ever raised and a deletion is final.
 * After the transaction the cut-offs document and then the key's state are written to KV, the
 * edge's read copy, which the token path reads (never this object). A write that fails stays
 * marked (`write_through`, `status_outbox`) and is retried by the alarm. It keeps the audit
 * trails. Token status is the region status objects' (objects/status-region.ts); what remains
 * of it here is in objects/registry-status.ts. No token request asks this object.
 */
export class Registry extends DurableObject<Env> {
  readonly #sql: SqlStorage;
  readonly #outbox: Outbox;
  readonly #status: RegistryStatus;
  readonly #signing: SigningKeys;
  readonly #copies: KeyCopies;

  constructor(ctx: DurableObjectState, env: Env) {
    super(ctx, env);
    this.#sql = ctx.storage.sql;
    this.#outbox = new Outbox(this.#sql, (document) => this.#writeDocument(document));
    this.#status = new RegistryStatus({
      sql: this.#sql,
      storage: ctx.storage,
      outbox: this.#outbox,
      env: () => this.env,
      revocations: () => this.#kv("REVOCATIONS"),
    });
    this.#signing = new SigningKeys({
      sql: this.#sql,
      storage: ctx.storage,
      outbox: this.#outbox,
      env: () => this.env,
      clients: () => this.#kv("CLIENTS"),
      revocations: () => this.#kv("REVOCATIONS"),
      periodSeconds: () => settings(this.env).signingKeyRotationDays * 86_400,
      retiringSeconds: () => {
        const s = settings(this.env);
        return retiringKeySeconds(Math.max(s.tokenTtlSeconds, longestLeasedTtl(this.#sql)), s.clientCacheSeconds);
      },
      retentionDays: () => settings(this.env).auditRetentionDays,
    });
    this.#copies = new KeyCopies(
      this.#sql,
      () => ({ sql: this.#sql, kekSecret: this.env.SIGNING_KEY_KEK, clients: this.#kv("CLIENTS") }),
      (at) => this.#wake(at),
    );
    void ctx.blockConcurrencyWhile(async () => {
      tables.createTables(this.#sql);
      createStatusTables(this.#sql);
      createSigningKeyTables(this.#sql);
      values.createKvValueTable(this.#sql);
      createRecordFloorTable(this.#sql);
      tables.migrateClientRevocations(this.#sql, nowSeconds());
      await importLegacyKeys(this.#imports());
      if (await importLegacyTokenRevocations(this.#imports())) {
        this.ctx.storage.transactionSync(() => this.#outbox.mark(CUTOFFS_KEY));
        await this.#wake(Date.now());
      }
      if (await authenticateKv(this.#rewrite(), this.env.SIGNING_KEY_KEK)) await this.#wake(Date.now());
    });
  }

  async create(caller: Caller, attributes: NewKey): Promise<Answer<Change>> {
    const { record, clientSecret } = await newApplicationKey({ ...attributes, created_by: actorOf(caller) });
    if (attributes.token_quota) record.token_quota = attributes.token_quota;
    if (attributes.implicit_quota) record.implicit_quota = attributes.implicit_quota;
    const bit = await this.#status.bitOf(caller);
    const answer = this.#transaction(() => createKey(this.#changeContext(), caller, bit, attributes, record));
    return answer.ok ? { ok: true, value: { ...(await this.#propagated(answer.value)), client_secret: clientSecret } } : answer;
  }

  async update(caller: Caller, id: string, changes: KeyChanges): Promise<Answer<Change & { previous: ApplicationKey }>> {
    // Made before the transaction (hashing is asynchronous), used only if the key had no secret.
    const secret = changes.token_endpoint_auth_method === "client_secret_basic" ? await newSecret() : undefined;
    const bit = await this.#status.bitOf(caller);
    const answer = this.#transaction(() => updateKey(this.#changeContext(), caller, bit, id, changes, secret));
    return answer.ok ? { ok: true, value: await this.#propagated(answer.value) } : answer;
  }

  /** A new secret, the old one authenticating `keepOldSeconds` more (0: none, the key's tokens revoked): objects/secret-rotation.ts. */
  async rotateSecret(caller: Caller, id: string, keepOldSeconds: number): Promise<Answer<Change>> {
    const secret = await newSecret();
    const bit = await this.#status.bitOf(caller);
    const answer = this.#transaction(() => rotateKeySecret(this.#changeContext(), caller, bit, id, secret, keepOldSeconds));
    return answer.ok ? { ok: true, value: await this.#propagated(answer.value) } : answer;
  }

  /** After it, the key cannot get tokens and every token it was ever issued fails verification everywhere. */
  async remove(caller: Caller, id: string): Promise<Answer<Change>> {
    const bit = await this.#status.bitOf(caller);
    const answer = this.#transaction(() => removeKey(this.#changeContext(), caller, bit, id));
    return answer.ok ? { ok: true, value: await this.#propagated(answer.value) } : answer;
  }

  get(id: string): Answer<ApplicationKey> {
    return this.#transaction(() => liveKey(this.#sql, id).record);
  }

  /**
   * A key as the registry holds it, for an isolate whose KV copy of the record or tombstone does
   * not check out (store/key-records.ts): its record and the iat its KV copy states; null when
   * it has no live key by that client_id.
   */
  applicationKeyState(clientId: string): KeyAnswer | null {
    const row = tables.keyByClientId(this.#sql, clientId);
    if (!row || row.deleted_at !== null) return null;
    return { record: { ...row.record, version: row.version }, iat: values.iatOf(this.#sql, clientKey(clientId)) };
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

  /**
   * Indices for an isolate of the version before regions, mid-deploy (this version's isolates
   * lease from their region's status object). Goes with the next version.
   */
  leaseStatusIndices(want: number, ttlSeconds: number): Promise<{ list: number; start: number; count: number; until: number }> {
    return this.#status.leaseForEarlierVersion(want, ttlSeconds);
  }

  /**
   * Revokes a token whose status the registry holds: one from before status lists (its jti in
   * the cut-offs) or in a list made before regions; a region's list is its status object's, and
   * one an isolate of the version before regions sends here is passed on to it.
   */
  async revokeToken(t: RevokedToken): Promise<{ revoked: boolean }> {
    const answer = await this.#status.revoke(t);
    await this.#published();
    return answer;
  }

  /** A list as KV should hold it, for a reader whose KV does not have it (or one that does not check out); null when there is none. */
  statusListDocument(list: number): Promise<Versioned<StatusListDocument> | null> {
    return this.#status.listDocument(list);
  }

  /** A list from before regions for a reader whose KV does not have it, with the numbers those lists have (store/status-documents.ts). */
  legacyStatusList(n: number): Promise<OwnerAnswer> {
    return this.#status.legacyList(n);
  }

  /** The cut-offs document as KV should hold it, for a reader whose KV does not have it yet (or one that does not check out). */
  cutoffsDocument(): Versioned<Cutoffs> {
    return this.#status.cutoffsDocument();
  }

  /** The outbox's writer: a document as the tables have it now, put into KV. */
  #writeDocument(document: string): Promise<void> {
    return document === SIGNING_KEYS_KEY ? this.#signing.write() : this.#status.write(document);
  }

  /** The signing keys as KV should hold them, for an isolate whose KV has none yet; the deployment's first keys are made here. */
  async signingKeysDocument(): Promise<SigningKeysAnswer> {
    const answer = await this.#signing.document(nowSeconds());
    await this.#published();
    return answer;
  }

  /** One run of the signing-key schedule (the Cron Trigger's); `advance` takes the next step now (local development). */
  async runSigningKeySchedule(o: { advance: boolean }): Promise<Answer<RotationResult>> {
    return this.#rotated(await this.#signing.schedule(nowSeconds(), { advance: o.advance, actor: "schedule" }));
  }

  /**
   * A rotation asked for by a key manager holding signing_keys (or the operator): a scheduled
   * one now, or an emergency (docs/rotation.md). Answered once KV holds the new keys and cut-offs.
   */
  async rotateSigningKeys(caller: Caller, request: RotationRequest): Promise<Answer<RotationResult>> {
    const bit = await this.#status.bitOf(caller);
    const refused = this.#transaction(() => {
      if (caller.kind === "bootstrap")
        throw new HttpError(401, "invalid_token", "The access token is missing, invalid, expired or revoked.");
      if (caller.kind === "key") {
        this.#assertLive(caller, bit);
        assertMayRotate(caller.claims);
      }
    });
    if (!refused.ok) return refused;
    const alg = request.alg === "ES256" || request.alg === "EdDSA" ? request.alg : undefined;
    return this.#rotated(await this.#signing.rotate(nowSeconds(), { emergency: request.emergency === true, alg, actor: actorOf(caller) }));
  }

  /**
   * Every signing key, newest first, and whether this Worker's KEK is the one they are sealed
   * with (undefined: no keys yet). `make`: the deployment's first keys are made now if it has none.
   */
  async signingKeyState(o: { make?: boolean } = {}): Promise<{ keys: SigningKeyView[]; kek_matches: boolean | undefined }> {
    if (o.make) {
      await this.#signing.document(nowSeconds());
      await this.#published();
    }
    return { keys: this.#signing.list(), kek_matches: await this.#signing.kekMatches() };
  }

  signingKeyEvents(limit: number, offset: number): { entries: SigningKeyEvent[]; total: number } {
    return signingKeyEvents(this.#sql, limit, offset);
  }

  /** After a rotation: KV has it before it is answered, and this isolate knows it at once. */
  async #rotated(answer: Answer<RotationResult>): Promise<Answer<RotationResult>> {
    if (!answer.ok) return answer;
    await this.#published();
    forgetSigningKeys(this.env);
    for (const [kid, until] of Object.entries(this.#status.cutoffs().kids ?? {})) rememberRevokedKid(kid, until);
    return answer;
  }

  /**
   * Retries every write that has not reached KV yet, writes again the copies halfway through
   * their lifetime, drops what has expired, and sleeps until there is more to do.
   */
  override async alarm(): Promise<void> {
    await authenticateKv(this.#rewrite(), this.env.SIGNING_KEY_KEK);
    markDueForRefresh(this.#rewrite(), nowSeconds());
    await this.#copies.retry();
    this.ctx.storage.transactionSync(() => this.#status.retire(nowSeconds()));
    await this.#published();
  }

  /** Writes the status documents that are due, and wakes the alarm for the rest (and for what expires or is to be written again next). */
  async #published(): Promise<void> {
    await this.#outbox.publish();
    const refresh = values.nextRefresh(this.#sql);
    const times = [this.#outbox.dueAt(), this.#status.dueAt(), refresh === undefined ? undefined : refresh * 1000].filter(
      (t) => t !== undefined,
    );
    if (times.length > 0) await this.#wake(Math.min(...times));
  }

  #rewrite(): Rewrite {
    return { sql: this.#sql, storage: this.ctx.storage, outbox: this.#outbox, hasSigningKeys: () => this.#signing.hasKeys() };
  }

  /** The alarm runs by `at` (epoch ms): an earlier one stays. */
  async #wake(at: number): Promise<void> {
    const current = await this.ctx.storage.getAlarm();
    if (current === null || current > at) await this.ctx.storage.setAlarm(at);
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

  /**
   * Whether a key-management caller's token is live by this object's own tables, whatever a
   * location's KV copy says: the admin API's reads ask it; every change checks the same inside
   * its transaction.
   */
  async callerIsLive(caller: Caller): Promise<Answer<boolean>> {
    if (caller.kind !== "key") return { ok: true, value: true };
    const bit = await this.#status.bitOf(caller);
    return this.#transaction(() => {
      this.#assertLive(caller, bit);
      return true;
    });
  }

  #assertLive(caller: Extract<Caller, { kind: "key" }>, bit: boolean | undefined): void {
    assertLive(this.#sql, caller, bit);
  }

  /** What a key change's transaction works on (objects/key-changes.ts). */
  #changeContext(): KeyChangeContext {
    return { sql: this.#sql, outbox: this.#outbox, settings: () => settings(this.env) };
  }

  async #propagated<T extends Change>(change: T): Promise<T> {
    // The isolate this object runs in learns the change at once, as the one that asked does.
    forgetApplicationKey(change.record.client_id, change.floor);
    if (change.revocation !== undefined) {
      rememberCutoff(change.record.client_id, change.revocation);
      // The cut-offs reach KV before the record that needs them does.
      await this.#published();
    } else {
      // The record floor the change raised goes out with the next cut-offs the alarm writes.
      await this.#wake(Date.now());
    }
    return { ...change, propagated: await this.#copies.write(change.record.client_id) };
  }

  #imports(): ImportContext {
    return {
      sql: this.#sql,
      storage: this.ctx.storage,
      kekSecret: this.env.SIGNING_KEY_KEK,
      clients: this.#kv("CLIENTS"),
      revocations: this.#kv("REVOCATIONS"),
    };
  }
}
