import type { Env } from "../config/settings.ts";
import { ConfigError, SigningUnavailableError } from "../lib/errors.ts";
import { type Kek, kekOf } from "../lib/kek.ts";
import { KV_DOCUMENT_LIFETIME_SECONDS, NEXT_SIGNING_KEY_LEAD_SECONDS, SIGNING_RETRY_AFTER_SECONDS } from "../lib/limits.ts";
import { Mutex } from "../lib/mutex.ts";
import type { Kv } from "../store/kv.ts";
import { CUTOFFS_KEY, SIGNING_KEYS_KEY } from "../store/kv-keys.ts";
import { iatOf } from "../store/kv-values.ts";
import type { Answer, RotationChange, RotationResult, SigningKeyView } from "../store/registry-protocol.ts";
import { metaValue, setMetaValue } from "../store/registry-tables.ts";
import * as tables from "../store/signing-key-tables.ts";
import type { SigningKeysAnswer } from "../store/signing-keys-document.ts";
import type { Algorithm } from "../tokens/algorithms.ts";
import { seal } from "../tokens/key-seal.ts";
import { generateSigningKey, type PrivateJwk, parseSigningKeysSecret, privateMembers, publicHalf } from "../tokens/signing-key-material.ts";
import type { Outbox } from "./outbox.ts";
import { KEK_META, signingKeysDocumentOf, writeSigningKeysCopy } from "./signing-keys-copy.ts";

/** registry_meta: the first keys are made (or imported from SIGNING_KEYS); SIGNING_KEYS is never read again. */
const KEYS_META = "signing_keys_made";

/** What a caller is told when the keys cannot be made or opened; the reason goes to the log line only. */
export const SIGNING_UNAVAILABLE_DETAIL = "The service cannot sign tokens at the moment.";

export interface SigningKeysContext {
  sql: SqlStorage;
  storage: DurableObjectStorage;
  outbox: Outbox;
  env: () => Env;
  /** CLIENTS, where the document goes: a namespace only edge-token binds. */
  clients: () => Kv;
  /** REVOCATIONS, where earlier versions kept it: that copy is deleted. */
  revocations: () => Kv;
  /** SIGNING_KEY_ROTATION_DAYS, in seconds; 0: no scheduled rotation. */
  periodSeconds: () => number;
  /** How long a key that stopped signing stays in the JWKS (lib/limits.ts, retiringKeySeconds). */
  retiringSeconds: () => number;
  /** Days the audit trail keeps. */
  retentionDays: () => number;
}

/**
 * The registry's signing keys (docs/rotation.md): it makes them, seals their private halves
 * under SIGNING_KEY_KEK, and moves each through its states, next (in the JWKS, not signing)
 * → active (signing) → retiring (in the JWKS until what it signed has expired) → retired; an
 * emergency rotation retires every key at once and revokes what they signed. KV's copy (the
 * document) is what isolates sign and verify with. One change at a time: every step checks the
 * state it finds, so a schedule run twice at once, or one missed, does each step once.
 */
export class SigningKeys {
  readonly #lock = new Mutex();
  readonly #c: SigningKeysContext;

  constructor(c: SigningKeysContext) {
    this.#c = c;
  }

  /** The document KV should hold, with the iat its copy states, the deployment's first keys made if it has none. */
  document(now: number): Promise<SigningKeysAnswer> {
    return this.#lock.run(async () => {
      try {
        await this.#ensure(now);
      } catch (error) {
        if (error instanceof SigningUnavailableError || error instanceof ConfigError) return { unavailable: error.message };
        throw error;
      }
      const document = signingKeysDocumentOf(this.#c.sql);
      return { document, iat: iatOf(this.#c.sql, SIGNING_KEYS_KEY) };
    });
  }

  /**
   * One run of the schedule at `now`: keys past their time leave the JWKS, a next key due
   * becomes active (the active one retiring), and a next key is published when the active one's
   * period is nearly up. `advance` (local development only): the next step at once, whatever
   * the times say: a next key is activated, or one is published.
   */
  schedule(now: number, o: { advance: boolean; actor: string }): Promise<Answer<RotationResult>> {
    return this.#changing(now, o.actor, async (changes) => {
      const kek = await this.#kek();
      this.#c.storage.transactionSync(() => {
        for (const k of tables.publishedKeyRows(this.#c.sql)) {
          if (k.state === "retiring" && k.retire_at !== null && k.retire_at <= now)
            this.#move(k, "retired", "remove", o.actor, now, changes);
        }
      });
      const next = this.#inState("next");
      const active = this.#inState("active")!;
      if (next && (o.advance || (next.activate_at ?? 0) <= now)) {
        this.#activate(next, active, o.actor, now, changes);
        return;
      }
      const period = this.#c.periodSeconds();
      if (!next && (o.advance || (period > 0 && now >= (active.activated_at ?? now) + period - NEXT_SIGNING_KEY_LEAD_SECONDS))) {
        const due = o.advance ? now : Math.max(now + NEXT_SIGNING_KEY_LEAD_SECONDS, (active.activated_at ?? now) + period);
        await this.#publish(kek, active.alg, due, o.actor, now, changes);
      }
    });
  }

  /**
   * A rotation asked for. Scheduled: a next key now (if there is none), active once it has been
   * in the JWKS for the lead time. Emergency: a new key active at once, and every other key out
   * of the JWKS with every token it signed revoked (through the cut-offs every verifier reads).
   * An emergency rotation also starts over a deployment whose KEK no longer opens its keys.
   * `alg`: the new key's algorithm (default: the active key's); the schedule keeps it.
   */
  rotate(now: number, o: { emergency: boolean; alg?: Algorithm | undefined; actor: string }): Promise<Answer<RotationResult>> {
    return this.#changing(now, o.actor, async (changes) => {
      const alg = o.alg ?? (this.#inState("active")?.alg as Algorithm | undefined) ?? "EdDSA";
      if (!o.emergency) {
        const next = this.#inState("next");
        // A next key of another algorithm than the one asked for gives way to one that has it.
        if (next && next.alg !== alg) this.#c.storage.transactionSync(() => this.#move(next, "retired", "remove", o.actor, now, changes));
        if (!next || next.alg !== alg)
          await this.#publish(await this.#kek(), alg, now + NEXT_SIGNING_KEY_LEAD_SECONDS, o.actor, now, changes);
        return;
      }
      const kek = await this.#kek({ startOver: true });
      const made = await this.#sealedNew(kek, alg);
      this.#c.storage.transactionSync(() => {
        // Past the time a copy of the key set from before this rotation may be put back (its exp).
        const until = now + this.#c.retiringSeconds() + KV_DOCUMENT_LIFETIME_SECONDS;
        for (const k of tables.publishedKeyRows(this.#c.sql)) {
          k.revoked = true;
          tables.revokeKid(this.#c.sql, k.kid, until);
          this.#move(k, "retired", "revoke", o.actor, now, changes);
        }
        this.#insert(made, "active", { activated_at: now }, "create", o.actor, now, changes);
        setMetaValue(this.#c.sql, KEK_META, kek.fingerprint);
        this.#c.outbox.mark(CUTOFFS_KEY);
      });
    });
  }

  /** Whether the deployment has made (or imported) its keys yet. */
  hasKeys(): boolean {
    return tables.publishedKeyRows(this.#c.sql).length > 0;
  }

  /** Every key, newest first. */
  list(): SigningKeyView[] {
    return tables.signingKeyRows(this.#c.sql).map(tables.viewOf);
  }

  /** The KEK's state as the registry sees it: whether this Worker's KEK is the one its keys are sealed with. */
  async kekMatches(): Promise<boolean | undefined> {
    const stored = metaValue(this.#c.sql, KEK_META);
    if (stored === undefined) return undefined;
    try {
      return (await kekOf(this.#c.env().SIGNING_KEY_KEK)).fingerprint === stored;
    } catch {
      return false;
    }
  }

  /** Puts the document into KV (the outbox's writer for it). */
  write(): Promise<void> {
    const c = this.#c;
    return writeSigningKeysCopy({ sql: c.sql, kekSecret: c.env().SIGNING_KEY_KEK, clients: c.clients(), revocations: c.revocations() });
  }

  /**
   * One change under the lock: the first keys made if need be, then the change, each of its
   * steps one transaction that also marks the document for KV; the audit trail trimmed; what it did.
   */
  #changing(now: number, actor: string, change: (changes: RotationChange[]) => Promise<void>): Promise<Answer<RotationResult>> {
    return this.#lock.run(async () => {
      const changes: RotationChange[] = [];
      try {
        await this.#ensure(now, actor, changes);
        await change(changes);
      } catch (error) {
        if (!(error instanceof SigningUnavailableError || error instanceof ConfigError)) throw error;
        return {
          ok: false,
          refusal: {
            status: 503,
            code: "temporarily_unavailable",
            detail: SIGNING_UNAVAILABLE_DETAIL,
            headers: { "Retry-After": String(SIGNING_RETRY_AFTER_SECONDS) },
            // The reason names KEK fingerprints: the operator's, on the log line, never the caller's.
            reason: error.message,
          },
        };
      }
      if (changes.length > 0) tables.purgeSigningKeyEvents(this.#c.sql, now * 1000 - this.#c.retentionDays() * 86_400_000);
      return { ok: true, value: { changes, keys: this.list() } };
    });
  }

  /**
   * The deployment's first keys, when it has none: SIGNING_KEYS (from an earlier version)
   * imported with its roles, the first key active and the others retiring; or a new key.
   */
  async #ensure(now: number, actor = "first use", changes: RotationChange[] = []): Promise<void> {
    if (tables.publishedKeyRows(this.#c.sql).length > 0) return;
    const kek = await this.#kek();
    const legacy = metaValue(this.#c.sql, KEYS_META) === undefined ? this.#c.env().SIGNING_KEYS?.trim() : undefined;
    const imported = legacy ? parseSigningKeysSecret(legacy) : undefined;
    const first = imported?.[0] ?? (await generateSigningKey("EdDSA"));
    const made = { jwk: first, sealed: await seal(kek, first.kid, privateMembers(first)) };
    this.#c.storage.transactionSync(() => {
      if (tables.publishedKeyRows(this.#c.sql).length > 0) return;
      const action = imported ? "import" : "create";
      this.#insert(made, "active", { activated_at: now }, action, actor, now, changes, imported ? "imported" : "generated");
      const retire_at = now + this.#c.retiringSeconds();
      for (const jwk of imported?.slice(1) ?? []) {
        this.#insert({ jwk, sealed: null }, "retiring", { retiring_at: now, retire_at }, "import", actor, now, changes, "imported");
      }
      setMetaValue(this.#c.sql, KEK_META, kek.fingerprint);
      setMetaValue(this.#c.sql, KEYS_META, new Date(now * 1000).toISOString());
    });
  }

  /** This Worker's KEK, refused when it is not the one the keys are sealed with (unless starting over). */
  async #kek(o: { startOver?: boolean } = {}): Promise<Kek> {
    const kek = await kekOf(this.#c.env().SIGNING_KEY_KEK);
    const stored = metaValue(this.#c.sql, KEK_META);
    if (!o.startOver && stored !== undefined && stored !== kek.fingerprint && tables.publishedKeyRows(this.#c.sql).length > 0) {
      throw new SigningUnavailableError(
        `SIGNING_KEY_KEK does not match: the signing keys are sealed with KEK ${stored}, this Worker has KEK ${kek.fingerprint}. ` +
          "Put back the KEK that sealed them, or rotate with --now to start a new key set under this one (every token issued so far is revoked).",
      );
    }
    return kek;
  }

  async #publish(kek: Kek, alg: string, activateAt: number, actor: string, now: number, changes: RotationChange[]): Promise<void> {
    const made = await this.#sealedNew(kek, alg as Algorithm);
    this.#c.storage.transactionSync(() => this.#insert(made, "next", { activate_at: activateAt }, "publish", actor, now, changes));
  }

  #activate(next: tables.SigningKeyRow, active: tables.SigningKeyRow, actor: string, now: number, changes: RotationChange[]): void {
    this.#c.storage.transactionSync(() => {
      next.activated_at = now;
      this.#move(next, "active", "activate", actor, now, changes);
      active.retiring_at = now;
      active.retire_at = now + this.#c.retiringSeconds();
      this.#move(active, "retiring", "retire", actor, now, changes);
    });
  }

  async #sealedNew(kek: Kek, alg: Algorithm): Promise<{ jwk: PrivateJwk; sealed: string }> {
    const jwk = await generateSigningKey(alg);
    return { jwk, sealed: await seal(kek, jwk.kid, privateMembers(jwk)) };
  }

  #insert(
    made: { jwk: PrivateJwk; sealed: string | null },
    state: tables.SigningKeyState,
    times: Partial<tables.SigningKeyRow>,
    action: RotationChange["action"],
    actor: string,
    now: number,
    changes: RotationChange[],
    origin: tables.SigningKeyRow["origin"] = "generated",
  ): void {
    const pub = publicHalf(made.jwk);
    tables.insertSigningKey(this.#c.sql, {
      kid: pub.kid,
      alg: pub.alg,
      public_jwk: { ...pub },
      sealed: made.sealed,
      state,
      origin,
      created_at: now,
      activate_at: null,
      activated_at: null,
      retiring_at: null,
      retire_at: null,
      retired_at: null,
      revoked: false,
      ...times,
    });
    tables.appendSigningKeyEvent(this.#c.sql, { actor, action, kid: pub.kid, from: null, to: state }, now * 1000);
    this.#c.outbox.mark(SIGNING_KEYS_KEY);
    changes.push({ action, kid: pub.kid });
  }

  #move(
    k: tables.SigningKeyRow,
    to: tables.SigningKeyState,
    action: RotationChange["action"],
    actor: string,
    now: number,
    changes: RotationChange[],
  ): void {
    const from = k.state;
    k.state = to;
    if (to === "retired") k.retired_at = now;
    tables.updateSigningKey(this.#c.sql, k);
    tables.appendSigningKeyEvent(this.#c.sql, { actor, action, kid: k.kid, from, to }, now * 1000);
    this.#c.outbox.mark(SIGNING_KEYS_KEY);
    changes.push({ action, kid: k.kid });
  }

  #inState(state: "next" | "active"): tables.SigningKeyRow | undefined {
    return tables.publishedKeyRows(this.#c.sql).find((k) => k.state === state);
  }
}
