/**
 * What several layers must agree on: limits, and the interface through which verification asks
 * storage about revocations. A leaf: it imports nothing, so settings, storage and tokens can
 * all depend on it without depending on each other.
 */

/** Tolerated difference between the issuer's clock and a verifier's, for exp, nbf and iat. */
export const CLOCK_SKEW_SECONDS = 30;

export const DEFAULT_TOKEN_TTL_SECONDS = 3600;
/** The longest lifetime TOKEN_TTL_SECONDS may set: client-wide revocations outlive it. */
export const MAX_TOKEN_TTL_SECONDS = 86_400;

/** CLIENT_CACHE_SECONDS and REVOCATION_CACHE_SECONDS, and the importable verifier's, unless set. */
export const DEFAULT_CACHE_SECONDS = 10;

/** A KV call that takes longer fails (KV_TIMEOUT_MS, and the importable verifier's), unless set. */
export const DEFAULT_KV_TIMEOUT_MS = 5000;

/** The longest CLIENT_CACHE_SECONDS may be: how long a deleted key's record may linger in an isolate. */
export const MAX_CLIENT_CACHE_SECONDS = 60;
/** The longest REVOCATION_CACHE_SECONDS may be. */
export const MAX_REVOCATION_CACHE_SECONDS = 60;

/** About how long a KV write takes to reach every location (and KV's own edge cache to expire). */
export const KV_PROPAGATION_SECONDS = 60;

/**
 * How long after a key's record changes a stale copy of it may still mint tokens somewhere: an
 * isolate's cache (CLIENT_CACHE_SECONDS) on top of KV's propagation. A narrowing revokes every
 * token of the key issued up to then.
 */
export const staleRecordSeconds = (clientCacheSeconds: number): number => clientCacheSeconds + KV_PROPAGATION_SECONDS;

/** The audit trail keeps every entry at least this long (AUDIT_RETENTION_DAYS, default and least). */
export const MIN_AUDIT_RETENTION_DAYS = 90;

/** KV refuses an expiration less than 60 seconds from now. */
export const KV_MIN_EXPIRATION_TTL_SECONDS = 60;

/**
 * A token expiring at `exp` passes a check while now < this (epoch seconds). Anything that must
 * outlive a token (a revocation entry, a cached "revoked") lives at least until then.
 */
export const acceptedUntil = (exp: number) => exp + CLOCK_SKEW_SECONDS;

/** What a revocation lookup needs of a token. */
export interface RevocableToken {
  jti: string;
  client_id: string;
  iat: number;
  exp: number;
}

export interface RevocationChecker {
  /** Throws when the store cannot answer: a verifier must never guess "not revoked". */
  isRevoked(token: RevocableToken): Promise<boolean>;
}
