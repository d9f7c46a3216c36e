import type { Settings } from "../env.ts";
import { badRequest } from "../http/errors.ts";
import { scopeWithin } from "../policy/scope.ts";
import type { Permissions } from "../store/client-record.ts";
import { grantsOf } from "../tokens/claims.ts";

/** The attributes of an application key a request body may set (JSON:API, Elastic Path's flat shape). */
export type KeyAttributes = Partial<Permissions> & { name?: string };

/**
 * `{"data":{"type":"application_key","name":…,"scope":…,"grant_types":[…]}}`. On create a name is
 * required; on update any of the three, at least one. Every 400 names the field; none echoes it.
 */
export function keyAttributes(body: unknown, s: Settings, mode: "create" | "update"): KeyAttributes {
  const data = isObject(body) ? body.data : undefined;
  if (!isObject(data)) throw badRequest('The body must be {"data":{"type":"application_key","name":…}}.');
  if (data.type !== "application_key") throw badRequest('The field "data.type" must be "application_key".');
  const out: KeyAttributes = {};
  if (mode === "create" || data.name !== undefined) out.name = nameOf(data.name);
  if (data.scope !== undefined) out.scope = scopeOf(data.scope, s);
  if (data.grant_types !== undefined) out.grant_types = grantTypesOf(data.grant_types);
  if (Object.keys(out).length === 0) throw badRequest('Nothing to update: give "data.name", "data.scope" or "data.grant_types".');
  return out;
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

const isObject = (v: unknown): v is Record<string, unknown> => typeof v === "object" && v !== null && !Array.isArray(v);
