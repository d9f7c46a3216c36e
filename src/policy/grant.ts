import type { Settings } from "../config/settings.ts";
import { HttpError } from "../lib/errors.ts";
import type { Grant } from "../oauth/claims.ts";
import { adminAudience, isResourceUri } from "../oauth/resource.ts";
import { covers, formatScope, MANAGEMENT_SCOPES, managesService, parseScope } from "../oauth/scope.ts";
import { type ApplicationKey, permissionsOf } from "../store/application-keys.ts";

/**
 * What a token request may get: the grant must be one the key lists (RFC 6749 §5.2
 * unauthorized_client); the scope is the requested one, or without `scope` everything the
 * grant allows: the key's scope within SCOPES, and for implicit within PUBLIC_SCOPES too.
 * A request that names an API with `resource` (`forApi`) gets, by default, everything but
 * application_keys and signing_keys: a token for an API never manages the service. Returns the granted scope, formatted.
 */
export function grantScope(client: ApplicationKey, grant: Grant, requested: string | undefined, s: Settings, forApi = false): string {
  if (requested === undefined) return defaultScope(client, grant, s, forApi);
  const allowed = allowedScopes(client, grant, s);
  // The detail never echoes what the caller sent.
  const wanted = parseScope(requested);
  if (wanted === undefined) throw invalidScope("The scope parameter is not a valid scope value (RFC 6749 §3.3).");
  if (!covers(allowed, wanted))
    throw invalidScope(`The requested scope is unknown or exceeds what this client may get with the ${grant} grant.`);
  return formatScope(wanted, s.scopes);
}

/** Every scope the grant allows this key, in SCOPES order; unauthorized_client when none. */
function allowedScopes(client: ApplicationKey, grant: Grant, s: Settings): string[] {
  const { scope, grant_types } = permissionsOf(client);
  if (!grant_types.includes(grant)) throw unauthorizedClient(`This client may not use the ${grant} grant.`);
  const held = new Set(scope.split(" "));
  const allowed = s.scopes.filter((x) => held.has(x) && (grant === "client_credentials" || s.publicScopes.has(x)));
  if (allowed.length === 0) throw unauthorizedClient(`This client holds no scope that the ${grant} grant may carry.`);
  return allowed;
}

/**
 * What a request without `scope` gets, kept per settings and key record (the record a cache
 * holds is one object until it changes) so that repeated requests compute it once: a refusal
 * is never kept.
 */
const defaults = new WeakMap<Settings, WeakMap<ApplicationKey, (string | undefined)[]>>();

function defaultScope(client: ApplicationKey, grant: Grant, s: Settings, forApi: boolean): string {
  let byRecord = defaults.get(s);
  if (byRecord === undefined) {
    byRecord = new WeakMap();
    defaults.set(s, byRecord);
  }
  let held = byRecord.get(client);
  // One slot per grant, for an API or not.
  const slot = (grant === "implicit" ? 2 : 0) + (forApi ? 1 : 0);
  const known = held?.[slot];
  if (known !== undefined) return known;
  const allowed = allowedScopes(client, grant, s);
  let scope: string;
  if (!forApi) scope = allowed.join(" ");
  else {
    const forApis = allowed.filter((x) => !MANAGEMENT_SCOPES.includes(x));
    if (forApis.length === 0) throw keyManagementOnly();
    scope = forApis.join(" ");
  }
  if (held === undefined) {
    held = [];
    byRecord.set(client, held);
  }
  held[slot] = scope;
  return scope;
}

/** Whether `resource` parameters name an API: anything but the admin API itself. */
export const namesAnApi = (resources: readonly string[], issuer: string): boolean => resources.some((r) => r !== adminAudience(issuer));

/**
 * The token's `aud`. A token that carries application_keys or signing_keys is for the admin API alone (its
 * own audience, which a request may also name). Otherwise the requested resources (RFC 8707),
 * each listed in RESOURCES, an array when there are several; without any, AUDIENCE, or else
 * the issuer.
 */
export function grantAudience(resources: readonly string[], scope: string, s: Settings, issuer: string): string | string[] {
  if (managesService(scope)) {
    if (namesAnApi(resources, issuer)) throw keyManagementOnly();
    return adminAudience(issuer);
  }
  if (resources.length === 0) return s.audience ?? issuer;
  if (!resources.every((r) => isResourceUri(r) && s.resources.has(r))) {
    throw new HttpError(400, "invalid_target", "A requested resource is not an absolute URI this service issues tokens for.");
  }
  const unique = [...new Set(resources)];
  return unique.length === 1 ? unique[0]! : unique;
}

const keyManagementOnly = () =>
  new HttpError(400, "invalid_target", "A token that manages keys is for the admin API alone; ask for API scopes by name.");
const unauthorizedClient = (detail: string) => new HttpError(400, "unauthorized_client", detail);
const invalidScope = (detail: string) => new HttpError(400, "invalid_scope", detail);
