import { ConfigError } from "../lib/errors.ts";
import { type Grant, grantsOf } from "../oauth/claims.ts";
import { APPLICATION_KEYS_SCOPE, formatScope, isScopeToken, MANAGEMENT_SCOPES, SIGNING_KEYS_SCOPE } from "../oauth/scope.ts";

/**
 * The scope vocabulary of a deployment and what a new key gets, from its settings: SCOPES,
 * PUBLIC_SCOPES, DEFAULT_SCOPE, DEFAULT_GRANT_TYPES.
 * Plain string work, so the Worker's settings and the Node CLI (reading wrangler.toml) share it.
 */
const DEFAULT_SCOPES = `read write ${APPLICATION_KEYS_SCOPE} ${SIGNING_KEYS_SCOPE}`;
const DEFAULT_PUBLIC_SCOPES = "read";
const DEFAULT_DEFAULT_SCOPE = "read write";
// Elastic Path's model: a backend's secret writes, a storefront's public client_id reads.
const DEFAULT_DEFAULT_GRANT_TYPES = "client_credentials implicit";

export interface ScopeSettings {
  /** The vocabulary, in its configured order: every formatted scope follows it. */
  scopes: readonly string[];
  publicScopes: ReadonlySet<string>;
  /** Formatted. */
  defaultScope: string;
  /** What a key gets when its creator names no grant_types. */
  defaultGrantTypes: Grant[];
}

/** The scope vocabulary alone: the CLI reads it from wrangler.toml's vars with no ISSUER at hand. */
export function scopeSettings(env: {
  SCOPES?: string;
  PUBLIC_SCOPES?: string;
  DEFAULT_SCOPE?: string;
  DEFAULT_GRANT_TYPES?: string;
}): ScopeSettings {
  const scopes = scopeList("SCOPES", env.SCOPES, DEFAULT_SCOPES);
  const within = (name: string, value: string | undefined, fallback: string) => {
    const list = scopeList(name, value, fallback);
    const unknown = list.find((s) => !scopes.includes(s));
    if (unknown !== undefined) throw new ConfigError(`${name} must be a subset of SCOPES: "${unknown}" is not in SCOPES`);
    return list;
  };
  const publicScopes = within("PUBLIC_SCOPES", env.PUBLIC_SCOPES, DEFAULT_PUBLIC_SCOPES);
  const managing = publicScopes.find((s) => MANAGEMENT_SCOPES.includes(s));
  if (managing !== undefined) {
    throw new ConfigError(`PUBLIC_SCOPES must not contain ${managing}: browser code would hold the right to manage the service`);
  }
  const defaultScope = formatScope(within("DEFAULT_SCOPE", env.DEFAULT_SCOPE, DEFAULT_DEFAULT_SCOPE), scopes);
  const defaultGrantTypes = grantsOf(
    optional(env.DEFAULT_GRANT_TYPES)
      ?.split(/[\s,]+/)
      .filter(Boolean) ?? DEFAULT_DEFAULT_GRANT_TYPES.split(" "),
  );
  if (defaultGrantTypes === undefined) {
    throw new ConfigError('DEFAULT_GRANT_TYPES must be "client_credentials", "implicit" or both, space-delimited');
  }
  return { scopes, publicScopes: new Set(publicScopes), defaultScope, defaultGrantTypes };
}

/** A scope setting: scope-tokens separated by any whitespace, each once; at least one. */
function scopeList(name: string, value: string | undefined, fallback: string): string[] {
  const list = (optional(value) ?? fallback).split(/\s+/);
  const bad = list.find((s) => !isScopeToken(s));
  if (bad !== undefined)
    throw new ConfigError(`${name} must be space-delimited scope-tokens (RFC 6749 §3.3); "${bad.slice(0, 40)}" is not one`);
  return [...new Set(list)];
}

/** A setting's value, or undefined when it is unset or blank. */
export function optional(value: string | undefined): string | undefined {
  const v = value?.trim();
  return v ? v : undefined;
}
