import { REALM } from "../auth/client.ts";
import { insufficientScope } from "../http/bearer.ts";
import { HttpError } from "../http/errors.ts";
import type { ClientRecord, Permissions } from "../store/client-record.ts";
import { permissionsOf } from "../store/client-record.ts";
import type { AccessTokenClaims } from "../tokens/claims.ts";
import { APPLICATION_KEYS_SCOPE, covers } from "./scope.ts";

/**
 * Managing keys is a right like any other, and nobody can grant more than they hold: a key's
 * scope can be set only to what the caller's own token carries. A key cannot delete itself,
 * nor drop its own right to manage keys: there must always be a way back in that is not the
 * CLI, and a leaked key cannot lock its owner out by deleting itself first.
 */
export function assertMayGive(caller: AccessTokenClaims, permissions: Permissions): void {
  if (!covers(caller.scope.split(" "), permissions.scope.split(" "))) {
    throw insufficientScope(REALM, permissions.scope, "A key cannot be given a scope that the caller's own token does not hold.");
  }
}

export function assertMayUpdate(caller: AccessTokenClaims, current: ClientRecord, next: Permissions): void {
  if (current.client_id === caller.client_id && !next.scope.split(" ").includes(APPLICATION_KEYS_SCOPE)) {
    throw new HttpError(409, "conflict", `A key cannot remove ${APPLICATION_KEYS_SCOPE} from itself; do it with another key.`);
  }
}

export function assertMayDelete(caller: AccessTokenClaims, current: ClientRecord): void {
  if (current.client_id === caller.client_id) {
    throw new HttpError(409, "conflict", "A key cannot delete itself; delete it with another key or the CLI.");
  }
}

/** Whether `next` takes away anything `current` could do: then its earlier tokens must go. */
export function narrows(current: ClientRecord, next: Permissions): boolean {
  const before = permissionsOf(current);
  return !covers(next.scope.split(" "), before.scope.split(" ")) || !covers(next.grant_types, before.grant_types);
}
