import type { Settings } from "../env.ts";
import { HttpError } from "../http/errors.ts";
import { type ClientRecord, permissionsOf } from "../store/client-record.ts";
import type { Grant } from "../tokens/claims.ts";
import { isResourceUri } from "./resource.ts";
import { covers, formatScope, parseScope } from "./scope.ts";

/**
 * What a token request may get: the grant must be one the key lists (RFC 6749 §5.2
 * unauthorized_client); the scope is the requested one, or without `scope` everything the
 * grant allows: the key's scope within SCOPES, and for implicit within PUBLIC_SCOPES too.
 * Returns the granted scope, formatted.
 */
export function grantScope(client: ClientRecord, grant: Grant, requested: string | undefined, s: Settings): string {
  const { scope, grant_types } = permissionsOf(client);
  if (!grant_types.includes(grant)) throw unauthorizedClient(`This client may not use the ${grant} grant.`);
  const held = new Set(scope.split(" "));
  const allowed = s.scopes.filter((x) => held.has(x) && (grant === "client_credentials" || s.publicScopes.has(x)));
  if (allowed.length === 0) throw unauthorizedClient(`This client holds no scope that the ${grant} grant may carry.`);
  if (requested === undefined) return allowed.join(" ");
  // The detail never echoes what the caller sent.
  const wanted = parseScope(requested);
  if (wanted === undefined) throw invalidScope("The scope parameter is not a valid scope value (RFC 6749 §3.3).");
  if (!covers(allowed, wanted))
    throw invalidScope(`The requested scope is unknown or exceeds what this client may get with the ${grant} grant.`);
  return formatScope(wanted, s.scopes);
}

/**
 * The token's `aud`: the requested resources (RFC 8707), each listed in RESOURCES; an array
 * when there are several. Without any, AUDIENCE, or else the issuer.
 */
export function grantAudience(resources: readonly string[], s: Settings, issuer: string): string | string[] {
  if (resources.length === 0) return s.audience ?? issuer;
  if (!resources.every((r) => isResourceUri(r) && s.resources.has(r))) {
    throw new HttpError(400, "invalid_target", "A requested resource is not an absolute URI this service issues tokens for.");
  }
  const unique = [...new Set(resources)];
  return unique.length === 1 ? unique[0]! : unique;
}

const unauthorizedClient = (detail: string) => new HttpError(400, "unauthorized_client", detail);
const invalidScope = (detail: string) => new HttpError(400, "invalid_scope", detail);
