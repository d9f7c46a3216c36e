import { insufficientScope, REALM } from "../http/bearer.ts";
import { HttpError } from "../lib/errors.ts";
import { GRANTS } from "../oauth/claims.ts";
import { APPLICATION_KEYS_SCOPE, covers, SIGNING_KEYS_SCOPE } from "../oauth/scope.ts";
import type { ApplicationKey, Permissions } from "../store/application-keys.ts";
import { permissionsOf } from "../store/application-keys.ts";

/**
 * Managing keys is a right like any other, bounded both ways: nobody can give a key more than
 * their own token holds, nor take away more than it holds. Renaming alone gives and takes
 * nothing. A key cannot delete itself, nor drop its own right to manage keys or the grant that
 * carries it: there must always be a way back in that is not the CLI, and a leaked key cannot
 * lock its owner out by disarming itself first.
 */

/** What the rules need of the caller's key-management token. */
export interface KeyManager {
  client_id: string;
  scope: string;
  grant_type: string;
}

/**
 * The grants a caller's token stands for. A client_credentials token proves the secret and
 * could itself mint every token the weaker implicit grant gives, so it covers both; an
 * implicit token (which never carries application_keys) covers only implicit.
 */
function grantsCoveredBy(caller: KeyManager): readonly string[] {
  return caller.grant_type === "client_credentials" ? GRANTS : ["implicit"];
}

export function assertMayGive(caller: KeyManager, permissions: Permissions): void {
  if (!covers(caller.scope.split(" "), permissions.scope.split(" "))) {
    throw insufficientScope(REALM, permissions.scope, "A key cannot be given a scope that the caller's own token does not hold.");
  }
  const missing = permissions.grant_types.filter((g) => !grantsCoveredBy(caller).includes(g));
  if (missing.length > 0) {
    throw insufficientScope(
      REALM,
      permissions.scope,
      `A key cannot be given a grant the caller's own token does not cover: ${missing.join(" ")}.`,
    );
  }
}

/** Changing a key's permissions or deleting it takes away what it holds now: the caller must hold all of it. */
function assertMayTakeAway(caller: KeyManager, current: ApplicationKey): void {
  const { scope, grant_types } = permissionsOf(current);
  const held = new Set(caller.scope.split(" "));
  const lacking = scope.split(" ").filter((s) => !held.has(s));
  if (lacking.length > 0) {
    throw insufficientScope(
      REALM,
      scope,
      `Changing or deleting this key needs a token that holds all of its current scope; this one lacks: ${lacking.join(" ")}.`,
    );
  }
  const grants = grant_types.filter((g) => !grantsCoveredBy(caller).includes(g));
  if (grants.length > 0) {
    throw insufficientScope(
      REALM,
      scope,
      `Changing or deleting this key needs a token whose grant covers its grant types; this one lacks: ${grants.join(" ")}.`,
    );
  }
}

/** The rules a key's own token meets when it changes its own permissions. */
function assertKeepsSelfManageable(caller: KeyManager, current: ApplicationKey, next: Permissions): void {
  if (current.client_id !== caller.client_id) return;
  if (!next.scope.split(" ").includes(APPLICATION_KEYS_SCOPE)) {
    throw new HttpError(409, "conflict", `A key cannot remove ${APPLICATION_KEYS_SCOPE} from itself; do it with another key.`);
  }
  if (!next.grant_types.includes("client_credentials")) {
    throw new HttpError(409, "conflict", "A key cannot remove client_credentials from its own grant types; do it with another key.");
  }
}

/** Everything a permission change must satisfy, checked against the key's current record. */
export function assertMayUpdate(caller: KeyManager, current: ApplicationKey, next: Permissions): void {
  assertKeepsSelfManageable(caller, current, next);
  assertMayTakeAway(caller, current);
  assertMayGive(caller, next);
}

export function assertMayDelete(caller: KeyManager, current: ApplicationKey): void {
  if (current.client_id === caller.client_id) {
    throw new HttpError(409, "conflict", "A key cannot delete itself; delete it with another key or the CLI.");
  }
  assertMayTakeAway(caller, current);
}

/** Whether `next` takes away anything `current` could do: then its earlier tokens must go. */
export function narrows(current: ApplicationKey, next: Permissions): boolean {
  const before = permissionsOf(current);
  return !covers(next.scope.split(" "), before.scope.split(" ")) || !covers(next.grant_types, before.grant_types);
}

/** Rotating the deployment's signing keys is its own right: a token must hold signing_keys. */
export function assertMayRotate(caller: KeyManager): void {
  if (!caller.scope.split(" ").includes(SIGNING_KEYS_SCOPE)) {
    throw insufficientScope(REALM, SIGNING_KEYS_SCOPE, `Rotating signing keys needs a token with the ${SIGNING_KEYS_SCOPE} scope.`);
  }
}
