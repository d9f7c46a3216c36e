import { HttpError } from "../lib/errors.ts";
import { type ApplicationKey, authMethodOf, permissionsOf, previousSecretLives } from "../store/application-keys.ts";
import type { AuditAction, AuditLine, AuditSnapshot, Caller, KeyChanges } from "../store/registry-protocol.ts";

/**
 * A key's next record: the current one with only the named attributes changed. A record from
 * before keys carried scopes gets its legacy permissions written out in full.
 */
export function withChanges(current: ApplicationKey, changes: KeyChanges, now: Date): ApplicationKey {
  const { scope, grant_types } = permissionsOf(current);
  const next: ApplicationKey = { ...current, scope, grant_types, updated_at: now.toISOString() };
  if (changes.name !== undefined) next.name = changes.name;
  if (changes.scope !== undefined) next.scope = changes.scope;
  if (changes.grant_types !== undefined) next.grant_types = changes.grant_types;
  if (changes.token_quota === null) delete next.token_quota;
  else if (changes.token_quota !== undefined) next.token_quota = changes.token_quota;
  if (changes.implicit_quota === null) delete next.implicit_quota;
  else if (changes.implicit_quota !== undefined) next.implicit_quota = changes.implicit_quota;
  if (changes.jwks !== undefined) next.jwks = changes.jwks;
  if (changes.dpop_bound_access_tokens === true) next.dpop_bound_access_tokens = true;
  else if (changes.dpop_bound_access_tokens === false) delete next.dpop_bound_access_tokens;
  if (changes.token_endpoint_auth_method === "private_key_jwt") {
    // Its secret stops working: it proves itself with its keys from now on.
    next.token_endpoint_auth_method = "private_key_jwt";
    delete next.secret_hash;
  } else if (changes.token_endpoint_auth_method === "client_secret_basic") {
    // Its assertion keys stop working: they go with the method, so no copy of them lingers.
    delete next.token_endpoint_auth_method;
    delete next.jwks;
  }
  // A rotated-out secret goes with the secret (a switch to private_key_jwt), and once its time is up.
  if (authMethodOf(next) === "private_key_jwt" || !previousSecretLives(next, now.getTime())) {
    delete next.previous_secret_hash;
    delete next.previous_secret_expires_at;
  }
  return next;
}

/**
 * Whether `next` takes away a way its earlier tokens could be had or used: a change of how it
 * proves itself (a secret that stops working, or assertion keys that do), an assertion key taken
 * out of its `jwks` (a retired or leaked key), or DPoP newly required (a bearer token it holds
 * would still work). Like a narrowing, it revokes them, so that no copy of the earlier record (an
 * isolate's, or one put back in KV) mints a token any verifier or the registry takes.
 */
export function tightensPossession(current: ApplicationKey, next: ApplicationKey): boolean {
  return (
    authMethodOf(current) !== authMethodOf(next) ||
    (authMethodOf(next) === "private_key_jwt" && dropsAssertionKey(current, next)) ||
    (!current.dpop_bound_access_tokens && next.dpop_bound_access_tokens === true)
  );
}

function dropsAssertionKey(current: ApplicationKey, next: ApplicationKey): boolean {
  const kept = new Set((next.jwks?.keys ?? []).map((k) => JSON.stringify(k)));
  return (current.jwks?.keys ?? []).some((k) => !kept.has(JSON.stringify(k)));
}

/** A change that only renames is a rename; anything else about the key is an update. */
export function changeAction(changes: KeyChanges): AuditAction {
  return Object.keys(changes).every((k) => k === "name") ? "rename" : "update";
}

/** What the audit trail keeps of a key at `atMs` (epoch ms): never a secret or its digest, only until when a rotated-out one lives. */
export function auditSnapshot(r: ApplicationKey | null, atMs: number): AuditSnapshot | null {
  if (r === null) return null;
  const { scope, grant_types } = permissionsOf(r);
  return {
    name: r.name,
    scope,
    grant_types,
    ...(r.token_quota ? { token_quota: r.token_quota } : {}),
    ...(r.implicit_quota ? { implicit_quota: r.implicit_quota } : {}),
    token_endpoint_auth_method: authMethodOf(r),
    ...(r.jwks ? { jwks_kids: r.jwks.keys.map((k) => k.kid) } : {}),
    dpop_bound_access_tokens: r.dpop_bound_access_tokens === true,
    ...(previousSecretLives(r, atMs) ? { previous_secret_expires_at: r.previous_secret_expires_at! } : {}),
  };
}

export function auditLine(
  actor: string,
  action: AuditAction,
  keyId: string,
  before: ApplicationKey | null,
  after: ApplicationKey | null,
): AuditLine {
  return {
    actor,
    action,
    key_id: keyId,
    old_scope: before === null ? null : permissionsOf(before).scope,
    new_scope: after === null ? null : permissionsOf(after).scope,
  };
}

/** A private_key_jwt key must have keys to prove itself with. */
export function assertCanProveItself(r: ApplicationKey): void {
  if (authMethodOf(r) === "private_key_jwt" && !r.jwks?.keys.length) {
    throw new HttpError(400, "invalid_request", 'A private_key_jwt key needs "data.jwks": the public keys it signs its assertions with.');
  }
}

export function actorOf(caller: Caller): string {
  return caller.kind === "key" ? caller.claims.client_id : caller.kind === "operator" ? caller.actor : "bootstrap";
}
