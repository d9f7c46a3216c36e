import { readFile } from "node:fs/promises";
import type { ScopeSettings } from "../config/vocabulary.ts";
import { grantsOf } from "../oauth/claims.ts";
import { scopeWithin } from "../oauth/scope.ts";
import type { TokenQuota } from "../store/application-keys.ts";
import type { NewKey } from "../store/registry-protocol.ts";
import { usableJwks } from "../tokens/client-keys.ts";
import { UsageError } from "./rotation.ts";

/** The flags `npm run keys -- create` reads (keys.ts parses them). */
export interface NewKeyFlags {
  name?: string;
  scope?: string;
  "grant-types"?: string;
  "quota-per-hour"?: string;
  "quota-per-day"?: string;
  "implicit-quota-per-hour"?: string;
  "implicit-quota-per-day"?: string;
  "auth-method"?: string;
  jwks?: string;
  "dpop-bound"?: boolean;
}

/**
 * The key `npm run keys -- create` asks for, from its flags: the deployment's default scope and
 * grant types where none are given (`vocabularyOf`: the target's, read once the name is known good), a public key set read from the
 * --jwks file. The first flag that is wrong, in the order the usage lists them, is a UsageError.
 */
export async function newKeyOf(values: NewKeyFlags, vocabularyOf: () => ScopeSettings): Promise<NewKey> {
  const name = values.name;
  if (name === undefined || name.trim() === "" || [...name].length > 255)
    throw new UsageError("create needs --name with 1 to 255 characters");
  const vocabulary = vocabularyOf();
  const scope = values.scope === undefined ? vocabulary.defaultScope : scopeWithin(values.scope, vocabulary.scopes);
  if (scope === undefined) throw new UsageError(`--scope must be space-delimited scopes from: ${vocabulary.scopes.join(" ")}`);
  const grantTypes = values["grant-types"] === undefined ? vocabulary.defaultGrantTypes : grantsOf(values["grant-types"].split(","));
  if (grantTypes === undefined) throw new UsageError("--grant-types must be client_credentials, implicit or both, comma-separated");
  const quota = quotaOf(values["quota-per-hour"], values["quota-per-day"]);
  if (quota === false) throw new UsageError("--quota-per-hour and --quota-per-day must be whole numbers from 1");
  const implicitQuota = quotaOf(values["implicit-quota-per-hour"], values["implicit-quota-per-day"]);
  if (implicitQuota === false) throw new UsageError("--implicit-quota-per-hour and --implicit-quota-per-day must be whole numbers from 1");
  const method = values["auth-method"];
  if (method !== undefined && method !== "client_secret_basic" && method !== "private_key_jwt") {
    throw new UsageError("--auth-method must be client_secret_basic or private_key_jwt");
  }
  if (method === "private_key_jwt" && values.jwks === undefined) throw new UsageError("--auth-method private_key_jwt needs --jwks FILE");
  const jwks = values.jwks === undefined ? undefined : await usableJwks(JSON.parse(await readFile(values.jwks, "utf8")));
  if (typeof jwks === "string") throw new UsageError(`--jwks is not a usable key set: ${jwks}`);
  return {
    name,
    scope,
    grant_types: grantTypes,
    ...(quota ? { token_quota: quota } : {}),
    ...(implicitQuota ? { implicit_quota: implicitQuota } : {}),
    ...(method === "private_key_jwt" ? { token_endpoint_auth_method: method } : {}),
    ...(jwks ? { jwks } : {}),
    ...(values["dpop-bound"] ? { dpop_bound_access_tokens: true } : {}),
  };
}

/** A quota from its flags: undefined for none, false when one is not a whole number from 1. */
function quotaOf(perHour: string | undefined, perDay: string | undefined): TokenQuota | undefined | false {
  if (perHour === undefined && perDay === undefined) return undefined;
  const n = (v: string | undefined) => (v === undefined ? undefined : /^[1-9]\d{0,8}$/.test(v) ? Number(v) : Number.NaN);
  const quota = { per_hour: n(perHour), per_day: n(perDay) };
  if (Number.isNaN(quota.per_hour) || Number.isNaN(quota.per_day)) return false;
  return { ...(quota.per_hour ? { per_hour: quota.per_hour } : {}), ...(quota.per_day ? { per_day: quota.per_day } : {}) };
}
