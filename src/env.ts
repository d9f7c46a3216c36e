/** Bindings and settings, as declared in wrangler.toml and .dev.vars. */
export interface Env {
  CLIENTS: KVNamespace;
  REVOCATIONS: KVNamespace;
  /** Secret: a JWK set of private signing keys. The first key signs; every key is published. */
  SIGNING_KEYS: string;
  ISSUER?: string;
  /** Local development only ("true"): with ISSUER empty, each request's origin is the issuer. */
  ALLOW_REQUEST_ORIGIN_ISSUER?: string;
  AUDIENCE?: string;
  /** The scopes the service knows (RFC 6749 §3.3), space-delimited; metadata lists them. */
  SCOPES?: string;
  /** The subset of SCOPES that implicit tokens (held by browser code) may carry. */
  PUBLIC_SCOPES?: string;
  /** What a key gets when its creator names no scope. */
  DEFAULT_SCOPE?: string;
  /** Absolute URIs a token request may name as `resource` (RFC 8707), space-delimited. */
  RESOURCES?: string;
  TOKEN_TTL_SECONDS?: string;
  CORS_ALLOWED_ORIGINS?: string;
  LIMIT_ISSUANCE?: string;
  KV_TIMEOUT_MS?: string;
  CLIENT_CACHE_SECONDS?: string;
  REVOCATION_CACHE_SECONDS?: string;
  /** Failed client authentications per caller address (IPv6 per /64); limit and period: wrangler.toml. */
  AUTH_FAILURES_PER_IP?: RateLimit;
  /** Successful issuance per client_id and grant, used only when LIMIT_ISSUANCE is "true". */
  ISSUANCE_PER_CLIENT?: RateLimit;
  /** Implicit issuance per caller address, used only when LIMIT_ISSUANCE is "true". */
  IMPLICIT_PER_IP?: RateLimit;
}

export interface Settings extends ScopeSettings {
  /** undefined: take the origin of the request (local development, ALLOW_REQUEST_ORIGIN_ISSUER). */
  issuer: string | undefined;
  /** undefined: the issuer. */
  audience: string | undefined;
  resources: ReadonlySet<string>;
  tokenTtlSeconds: number;
  corsOrigins: "*" | ReadonlySet<string>;
  limitIssuance: boolean;
  kvTimeoutMs: number;
  /** How long an isolate may reuse a client record read from KV. */
  clientCacheSeconds: number;
  /** How long an isolate may reuse a "not revoked" answer read from KV. */
  revocationCacheSeconds: number;
}

import { ConfigError } from "./config-error.ts";
import { DEFAULT_TOKEN_TTL_SECONDS, MAX_CLIENT_CACHE_SECONDS, MAX_REVOCATION_CACHE_SECONDS, MAX_TOKEN_TTL_SECONDS } from "./limits.ts";
import { isResourceUri } from "./policy/resource.ts";
import { optional, type ScopeSettings, scopeSettings } from "./policy/vocabulary.ts";

export { ConfigError } from "./config-error.ts";

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

function parseSettings(env: Env): Settings {
  const issuer = optional(env.ISSUER);
  if (issuer !== undefined) assertUrl("ISSUER", issuer);
  // Without it every hostname the Worker answers on would mint tokens of its own issuer.
  else if (env.ALLOW_REQUEST_ORIGIN_ISSUER !== "true") {
    throw new ConfigError(
      "ISSUER is not set: set it to this service's public URL (ALLOW_REQUEST_ORIGIN_ISSUER=true is for local development only)",
    );
  }
  return {
    issuer,
    audience: optional(env.AUDIENCE),
    ...scopeSettings(env),
    resources: parseResources(env.RESOURCES),
    tokenTtlSeconds: parseTtl(env.TOKEN_TTL_SECONDS),
    corsOrigins: parseOrigins(env.CORS_ALLOWED_ORIGINS),
    limitIssuance: optional(env.LIMIT_ISSUANCE) === "true",
    kvTimeoutMs: integer("KV_TIMEOUT_MS", env.KV_TIMEOUT_MS, 5000, 1, 60_000),
    clientCacheSeconds: integer("CLIENT_CACHE_SECONDS", env.CLIENT_CACHE_SECONDS, 10, 0, MAX_CLIENT_CACHE_SECONDS),
    revocationCacheSeconds: integer("REVOCATION_CACHE_SECONDS", env.REVOCATION_CACHE_SECONDS, 10, 0, MAX_REVOCATION_CACHE_SECONDS),
  };
}

function assertUrl(name: string, value: string): void {
  if (!URL.canParse(value)) throw new ConfigError(`${name} must be an absolute URL`);
}

function parseTtl(value: string | undefined): number {
  return integer("TOKEN_TTL_SECONDS", value, DEFAULT_TOKEN_TTL_SECONDS, 60, MAX_TOKEN_TTL_SECONDS);
}

function integer(name: string, value: string | undefined, fallback: number, min: number, max: number): number {
  const v = optional(value);
  if (v === undefined) return fallback;
  const n = Number(v);
  if (!Number.isInteger(n) || n < min || n > max) throw new ConfigError(`${name} must be an integer from ${min} to ${max}`);
  return n;
}

function parseResources(value: string | undefined): ReadonlySet<string> {
  const list = optional(value)?.split(/\s+/) ?? [];
  for (const r of list) {
    if (!isResourceUri(r)) throw new ConfigError(`RESOURCES must be absolute URIs without a fragment; "${r.slice(0, 80)}" is not one`);
  }
  return new Set(list);
}

function parseOrigins(value: string | undefined): Settings["corsOrigins"] {
  const v = optional(value);
  if (v === undefined || v === "*") return "*";
  return new Set(
    v
      .split(",")
      .map((o) => o.trim())
      .filter(Boolean),
  );
}
