/** Bindings and settings, as declared in wrangler.toml and .dev.vars. */
export interface Env {
  CLIENTS: KVNamespace;
  REVOCATIONS: KVNamespace;
  /** Secret: a JWK set of private signing keys. The first key signs; every key is published. */
  SIGNING_KEYS: string;
  ISSUER?: string;
  AUDIENCE?: string;
  TOKEN_TTL_SECONDS?: string;
  CORS_ALLOWED_ORIGINS?: string;
}

export interface Settings {
  /** undefined: take the origin of the request (local development). */
  issuer: string | undefined;
  /** undefined: the issuer. */
  audience: string | undefined;
  tokenTtlSeconds: number;
  corsOrigins: "*" | ReadonlySet<string>;
}

import { DEFAULT_TOKEN_TTL_SECONDS, MAX_TOKEN_TTL_SECONDS } from "./tokens/claims.ts";

/** A deployment mistake, not a caller's: it surfaces as a logged 500. */
export class ConfigError extends Error {
  override name = "ConfigError";
}

// The env object lives as long as the isolate, so settings are parsed once per isolate.
const parsed = new WeakMap<object, Settings>();

export function settings(env: Env): Settings {
  let s = parsed.get(env);
  if (!s) {
    s = parseSettings(env);
    parsed.set(env, s);
  }
  return s;
}

export function parseSettings(env: Env): Settings {
  const issuer = optional(env.ISSUER);
  if (issuer !== undefined) assertUrl("ISSUER", issuer);
  return {
    issuer,
    audience: optional(env.AUDIENCE),
    tokenTtlSeconds: parseTtl(env.TOKEN_TTL_SECONDS),
    corsOrigins: parseOrigins(env.CORS_ALLOWED_ORIGINS),
  };
}

function optional(value: string | undefined): string | undefined {
  const v = value?.trim();
  return v ? v : undefined;
}

function assertUrl(name: string, value: string): void {
  if (!URL.canParse(value)) throw new ConfigError(`${name} must be an absolute URL`);
}

function parseTtl(value: string | undefined): number {
  const v = optional(value);
  if (v === undefined) return DEFAULT_TOKEN_TTL_SECONDS;
  const n = Number(v);
  if (!Number.isInteger(n) || n < 60 || n > MAX_TOKEN_TTL_SECONDS) {
    throw new ConfigError(`TOKEN_TTL_SECONDS must be an integer from 60 to ${MAX_TOKEN_TTL_SECONDS}`);
  }
  return n;
}

function parseOrigins(value: string | undefined): Settings["corsOrigins"] {
  const v = optional(value);
  if (v === undefined || v === "*") return "*";
  return new Set(v.split(",").map((o) => o.trim()).filter(Boolean));
}
