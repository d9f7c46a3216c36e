import type { ErrorCode } from "../lib/errors.ts";
import type { Cutoff } from "../oauth/status.ts";
import type { ApplicationKey, AuthMethodName, ClientJwks, Permissions, TokenQuota } from "./application-keys.ts";

/** The one registry of a deployment (src/objects/registry.ts), by its name. */
export const REGISTRY_NAME = "registry";

/**
 * What the registry (the Durable Object that is the one writer of application keys) is asked
 * and answers, over RPC. Plain data both ways: a refusal is an answer, not a thrown error, so
 * it crosses RPC (and the CLI's Node proxy) intact.
 */

/** Who asks for a change. */
export type Caller =
  /** A key-management token's verified claims: bounded by the key-management rules. */
  | { kind: "key"; claims: KeyManagerClaims }
  /** The operator at the command line (actor "cli"), or a test: the root of authority. */
  | { kind: "operator"; actor: string }
  /** A new deployment's first key: honoured only while the registry holds no key. */
  | { kind: "bootstrap" };

/**
 * What the rules need of a key-management token, and what the registry checks it against in
 * its own tables, whatever any KV copy says: its `jti` and place in a status list (revoked?),
 * the `kid` that signed it (published, not revoked by an emergency rotation), and its key's
 * cut-off (`key_version`, `iat`).
 */
export interface KeyManagerClaims {
  client_id: string;
  scope: string;
  grant_type: string;
  iat: number;
  key_version?: number | undefined;
  jti: string;
  kid: string;
  /** Its place in a status list, by the list's name (store/status-owners.ts). */
  status?: { list: string; idx: number } | undefined;
}

export interface Refusal {
  status: number;
  code: ErrorCode;
  detail: string;
  headers: Record<string, string>;
  /** Why, for the operator's log line only: never rendered to the caller (it may name KEK fingerprints). */
  reason?: string;
}

export type Answer<T> = { ok: true; value: T } | { ok: false; refusal: Refusal };

/** The attributes a key is created with; defaults are the caller's to apply. */
export interface NewKey extends Permissions {
  name: string;
  token_quota?: TokenQuota | undefined;
  implicit_quota?: TokenQuota | undefined;
  token_endpoint_auth_method?: AuthMethodName | undefined;
  jwks?: ClientJwks | undefined;
  dpop_bound_access_tokens?: boolean | undefined;
}

/** What a PUT may change; `token_quota: null` (or `implicit_quota: null`) removes the quota. */
export type KeyChanges = Partial<Permissions> & {
  name?: string;
  token_quota?: TokenQuota | null;
  implicit_quota?: TokenQuota | null;
  token_endpoint_auth_method?: AuthMethodName;
  jwks?: ClientJwks;
  dpop_bound_access_tokens?: boolean;
};

/** The line the request's log carries for a change (its full entry is in the audit trail). */
export interface AuditLine {
  actor: string;
  action: AuditAction;
  key_id: string;
  old_scope: string | null;
  new_scope: string | null;
  /** A secret rotation: until when the secret it replaced authenticates (the rotation's own time when it ended at once). */
  previous_secret_expires_at?: string;
}

export interface Change {
  record: ApplicationKey;
  /** Only when the change issued one: a new key, one switched to client_secret_basic, or a secret rotation. */
  client_secret?: string | undefined;
  audit: AuditLine;
  /** The client-wide cut-off the change raised (a narrowing, a deletion), for this isolate to know at once. */
  revocation: Cutoff | undefined;
  /** false while the KV copy is behind (a failed write-through, retried by the registry's alarm). */
  propagated: boolean;
  /** The record floor the change raised (epoch ms), for this isolate to take no earlier copy at once. */
  floor?: number | undefined;
}

/** A key as the registry holds it, for an isolate whose KV copy does not check out: its record and the iat its copy states. */
export interface KeyAnswer {
  record: ApplicationKey;
  iat: number;
}

/** A token the registry revokes, as the revocation endpoint verified it: one from before status lists, or in a list from before regions. */
export interface RevokedToken {
  jti: string;
  client_id: string;
  exp: number;
  /** Its place in a status list; absent for a token from before status lists. */
  status?: { list: string; idx: number } | undefined;
}

export type AuditAction = "create" | "rename" | "update" | "delete" | "rotate_secret";

/** What the audit trail keeps of a key before or after a change: its name, what it may do, how it proves itself. */
export interface AuditSnapshot {
  name: string;
  scope: string;
  grant_types: string[];
  token_quota?: TokenQuota;
  implicit_quota?: TokenQuota;
  token_endpoint_auth_method: AuthMethodName;
  /** The kids of its registered keys (private_key_jwt). */
  jwks_kids?: string[];
  dpop_bound_access_tokens: boolean;
  /**
   * While the secret a rotation replaced still authenticates: until when. In the `new` of a
   * rotate_secret entry always: the rotation's own time when the old secret ended at once.
   */
  previous_secret_expires_at?: string;
}

export interface AuditRecord {
  seq: number;
  at: string;
  actor: string;
  action: AuditAction;
  key_id: string;
  old: AuditSnapshot | null;
  new: AuditSnapshot | null;
}

/** A signing key as the registry shows it (never its private half). Times are ISO strings, or null. */
export interface SigningKeyView {
  kid: string;
  alg: string;
  state: "next" | "active" | "retiring" | "retired";
  /** "generated" by the registry, or "imported" from SIGNING_KEYS. */
  origin: "generated" | "imported";
  created_at: string;
  /** A next key: when the schedule makes it the one that signs. */
  activate_at: string | null;
  activated_at: string | null;
  /** When it stopped signing. */
  retiring_at: string | null;
  /** A retiring key: when it leaves the JWKS. */
  retire_at: string | null;
  retired_at: string | null;
  /** Retired by an emergency rotation: every token it signed is revoked. */
  revoked: boolean;
}

/** What a run of the schedule, or a rotation asked for, changed: each key moved, in order. */
export interface RotationChange {
  action: "create" | "import" | "publish" | "activate" | "retire" | "remove" | "revoke";
  kid: string;
}

export interface RotationResult {
  changes: RotationChange[];
  /** Every key the deployment has, newest first. */
  keys: SigningKeyView[];
}

/** One step of a rotation, as the audit trail of signing keys keeps it. */
export interface SigningKeyEvent {
  seq: number;
  at: string;
  /** "schedule" (the Cron Trigger), "cli", "first use", or the client_id of the key manager who asked. */
  actor: string;
  action: RotationChange["action"];
  kid: string;
  from: SigningKeyView["state"] | null;
  to: SigningKeyView["state"];
}

/**
 * How a rotation is asked for: a scheduled one now (a next key, active after the lead time), or
 * an emergency; `alg` moves the deployment to another algorithm (the schedule keeps it from then).
 */
export interface RotationRequest {
  emergency: boolean;
  alg?: "EdDSA" | "ES256" | undefined;
}
