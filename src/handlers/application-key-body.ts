import type { Settings } from "../config/settings.ts";
import { badRequest } from "../lib/errors.ts";
import { grantsOf } from "../oauth/claims.ts";
import { scopeWithin } from "../oauth/scope.ts";
import type { AuthMethodName, ClientJwks, Permissions, TokenQuota } from "../store/application-keys.ts";
import { usableJwks } from "../tokens/client-keys.ts";

/** The attributes of an application key a request body may set (JSON:API, Elastic Path's flat shape). */
export type KeyAttributes = Partial<Permissions> & {
  name?: string;
  token_quota?: TokenQuota | null;
  implicit_quota?: TokenQuota | null;
  token_endpoint_auth_method?: AuthMethodName;
  jwks?: ClientJwks;
  dpop_bound_access_tokens?: boolean;
};

/**
 * `{"data":{"type":"application_key","name":…,"scope":…,"grant_types":[…],"token_quota":{…},
 * "token_endpoint_auth_method":…,"jwks":{"keys":[…]},"dpop_bound_access_tokens":…}}`. On
 * create a name is required; on update any of them, at least one. Every 400 names the field;
 * none echoes it. `jwks` keys are imported once here, so one the runtime cannot use is refused
 * now, not at the key's first assertion.
 */
export async function keyAttributes(body: unknown, s: Settings, mode: "create" | "update"): Promise<KeyAttributes> {
  const data = isObject(body) ? body.data : undefined;
  if (!isObject(data)) throw badRequest('The body must be {"data":{"type":"application_key","name":…}}.');
  if (data.type !== "application_key") throw badRequest('The field "data.type" must be "application_key".');
  const out: KeyAttributes = {};
  if (mode === "create" || data.name !== undefined) out.name = nameOf(data.name);
  if (data.scope !== undefined) out.scope = scopeOf(data.scope, s);
  if (data.grant_types !== undefined) out.grant_types = grantTypesOf(data.grant_types);
  if (data.token_quota !== undefined) out.token_quota = tokenQuotaOf(data.token_quota, "token_quota");
  if (data.implicit_quota !== undefined) out.implicit_quota = tokenQuotaOf(data.implicit_quota, "implicit_quota");
  if (data.token_endpoint_auth_method !== undefined) out.token_endpoint_auth_method = authMethodOf(data.token_endpoint_auth_method);
  if (data.jwks !== undefined) out.jwks = await jwksOf(data.jwks);
  if (data.dpop_bound_access_tokens !== undefined) {
    if (typeof data.dpop_bound_access_tokens !== "boolean")
      throw badRequest('The field "data.dpop_bound_access_tokens" must be true or false.');
    out.dpop_bound_access_tokens = data.dpop_bound_access_tokens;
  }
  if (Object.keys(out).length === 0) {
    throw badRequest(
      'Nothing to update: give "data.name", "data.scope", "data.grant_types", "data.token_quota", "data.implicit_quota", "data.token_endpoint_auth_method", "data.jwks" or "data.dpop_bound_access_tokens".',
    );
  }
  return out;
}

function authMethodOf(value: unknown): AuthMethodName {
  if (value === "client_secret_basic" || value === "private_key_jwt") return value;
  throw badRequest('The field "data.token_endpoint_auth_method" must be "client_secret_basic" or "private_key_jwt".');
}

async function jwksOf(value: unknown): Promise<ClientJwks> {
  const usable = await usableJwks(value);
  if (typeof usable === "string") throw badRequest(`The field "data.jwks" is not a usable key set: ${usable}.`);
  return usable;
}

function nameOf(name: unknown): string {
  if (typeof name !== "string" || name.trim() === "" || [...name].length > 255) {
    throw badRequest('The field "data.name" must be a string of 1 to 255 characters.');
  }
  return name;
}

function scopeOf(value: unknown, s: Settings): string {
  const scope = scopeWithin(value, s.scopes);
  if (scope === undefined) throw badRequest(`The field "data.scope" must be space-delimited scopes from: ${s.scopes.join(" ")}.`);
  return scope;
}

function grantTypesOf(value: unknown): string[] {
  const grants = grantsOf(value);
  if (grants === undefined)
    throw badRequest('The field "data.grant_types" must be a non-empty array of "client_credentials" and "implicit".');
  return grants;
}

/** The most a quota may say: far beyond what one client could ever be issued in a day. */
const MAX_QUOTA = 1_000_000_000;

/** `{"per_hour": n, "per_day": n}`, either or both, or null (no quota: unlimited). */
function tokenQuotaOf(value: unknown, field: "token_quota" | "implicit_quota"): TokenQuota | null {
  if (value === null) return null;
  const invalid = () =>
    badRequest(`The field "data.${field}" must be {"per_hour":n,"per_day":n} (either or both, integers from 1), or null for none.`);
  if (!isObject(value)) throw invalid();
  const keys = Object.keys(value);
  if (keys.length === 0 || !keys.every((k) => k === "per_hour" || k === "per_day")) throw invalid();
  for (const k of keys) {
    const n = value[k];
    if (typeof n !== "number" || !Number.isInteger(n) || n < 1 || n > MAX_QUOTA) throw invalid();
  }
  return {
    ...(value.per_hour === undefined ? {} : { per_hour: value.per_hour as number }),
    ...(value.per_day === undefined ? {} : { per_day: value.per_day as number }),
  };
}

const isObject = (v: unknown): v is Record<string, unknown> => typeof v === "object" && v !== null && !Array.isArray(v);
