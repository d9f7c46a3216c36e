/**
 * Every limit of the service in one place: clocks, lifetimes, caches, sizes, rates. A leaf that
 * imports nothing, so every folder may read it.
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
const KV_PROPAGATION_SECONDS = 60;

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

/** The `period` of the [[ratelimits]] blocks in wrangler.toml: a refused caller's Retry-After. */
export const RATE_LIMIT_PERIOD_SECONDS = 60;

/** From this many failures for one client_id within a minute (in one isolate), its log lines are warnings. */
export const CLIENT_FAILURE_WARNING = 10;

/** The longest an assertion may still be valid for: a client makes one per request. */
export const MAX_ASSERTION_LIFETIME_SECONDS = 300;

/** The most tokens one lease hands an isolate; and never more than a hundredth of what is left. */
export const MAX_LEASE = 100;

export const MAX_PAGE_LIMIT = 100;

export const DEFAULT_PAGE_LIMIT = 25;

export const MAX_BODY_BYTES = 16 * 1024;

/** The most of a path a log line records. */
export const MAX_LOGGED_PATH = 256;

/** Public documents (keys, metadata, descriptions): verifiers and browsers may cache them this long. */
export const PUBLIC_MAX_AGE_SECONDS = 300;

/** The most keys a `jwks` attribute may hold: enough for a rotation, not a key store. */
export const MAX_CLIENT_KEYS = 5;

/**
 * DPoP proofs (RFC 9449 §4.3), as the token endpoint and every verifier check them. A proof is
 * accepted for `DPOP_PROOF_MAX_AGE_SECONDS` after its `iat` (and `CLOCK_SKEW_SECONDS` before),
 * which is also how long its `jti` must be remembered.
 */
export const DPOP_PROOF_MAX_AGE_SECONDS = 60;

/**
 * The one accepted spelling of a signed token: three base64url segments (RFC 7515 §2: no
 * padding; alphabet A-Z a-z 0-9 - _), no whitespace, and the unused bits of a segment's last
 * character zero. A lenient decoder would read several texts as the same signed token, and
 * everything keyed by a token's text (caches, a consumer's dedup) would be fooled.
 */
export const MAX_TOKEN_LENGTH = 4096;
