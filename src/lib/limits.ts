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

/**
 * How long an isolate waits for its region's status-list object before it leases from the next
 * region's (STATUS_LEASE_TIMEOUT_MS): a lease normally answers within a round trip, and a list
 * made ahead of need means it never waits for a KV write of its own.
 */
export const DEFAULT_STATUS_LEASE_TIMEOUT_MS = 400;

/**
 * How long the registry waits for a status object to say whether a key manager's token is
 * revoked: one row read there, even a continent away and cold, answers well within it; past it
 * the admin API answers 503 rather than hang or guess.
 */
export const STATUS_CHECK_TIMEOUT_MS = 2000;

/** The longest CLIENT_CACHE_SECONDS may be: how long a deleted key's record may linger in an isolate. */
export const MAX_CLIENT_CACHE_SECONDS = 60;
/** The longest REVOCATION_CACHE_SECONDS may be. */
export const MAX_REVOCATION_CACHE_SECONDS = 60;

/** About how long a KV write takes to reach every location (and KV's own edge cache to expire). */
const KV_PROPAGATION_SECONDS = 60;

/**
 * How long after a key's record changes a stale copy of it may still mint tokens somewhere: an
 * isolate's cache (CLIENT_CACHE_SECONDS) on top of KV's propagation. Tokens from before the
 * version claim that a narrowing revokes by time are those issued up to then.
 */
export const staleRecordSeconds = (clientCacheSeconds: number): number => clientCacheSeconds + KV_PROPAGATION_SECONDS;

/**
 * Signing keys (docs/rotation.md). A new key is in the JWKS this long before it signs: every
 * verifier's copy of the key set has it by then. That takes KV's propagation and an issuer
 * isolate's cache (at most 120 s), the JWKS max-age (300 s) and a verifier's own cache of the
 * key set (ours: as long; jose's createRemoteJWKSet: 600 s); an hour leaves room for caches of
 * other verifiers.
 */
export const NEXT_SIGNING_KEY_LEAD_SECONDS = 3600;
/** SIGNING_KEY_ROTATION_DAYS unless set, and the longest it may be; 0 turns scheduled rotation off. */
export const DEFAULT_ROTATION_DAYS = 30;
export const MAX_ROTATION_DAYS = 365;

/**
 * How long a key that stopped signing stays in the JWKS: a stale copy of the key set may sign
 * with it a while longer (`staleRecordSeconds`), and what it signed lives for the longest token
 * lifetime issued lately (`ttlSeconds`; the status documents it signed, STATUS_MAX_STALE_SECONDS)
 * and the clock skew.
 */
export const retiringKeySeconds = (ttlSeconds: number, clientCacheSeconds: number): number =>
  staleRecordSeconds(clientCacheSeconds) + Math.max(ttlSeconds, STATUS_MAX_STALE_SECONDS) + CLOCK_SKEW_SECONDS;

/** A request that needs a signature while the service cannot sign is told to come back this much later. */
export const SIGNING_RETRY_AFTER_SECONDS = 60;

/**
 * How long a value the registry writes to KV may be relied on (its envelope's `exp`,
 * store/authenticated.ts); the registry writes each again halfway through. Someone who can
 * write KV and kept an older copy can put it back: an isolate that has seen a newer one refuses
 * it, and a new isolate takes it at most this long after it was written. Shared documents (the
 * signing keys, the cut-offs, the status lists) change often and are few: six hours. Key
 * records are many and change rarely: a week, and every cut-off a change raised stays in the
 * cut-offs at least that long, so a record put back mints only tokens every verifier refuses.
 */
export const KV_DOCUMENT_LIFETIME_SECONDS = 6 * 3600;
export const KV_RECORD_LIFETIME_SECONDS = 7 * 86_400;

/** KV takes at most one write a second to a key: the registry writes a shared document no oftener. */
export const KV_WRITE_INTERVAL_MS = 1000;

/**
 * Status lists (draft-ietf-oauth-status-list). Every list has room for this many tokens, one
 * bit each, from the day it is made: a verifier's copy always covers every index it could be
 * asked about, however early it was fetched. 2^20 bits are 128 KiB; all-zero they compress to
 * a few hundred bytes.
 */
export const STATUS_LIST_CAPACITY = 1 << 20;
/** A list takes new leases for this long after its first one, then the next list does. */
export const STATUS_LIST_WINDOW_SECONDS = 3600;
/** An isolate's first lease of indices; one used up doubles the next, up to the most. */
export const FIRST_INDEX_LEASE = 64;
export const MAX_INDEX_LEASE = 4096;
/**
 * How long a verifier keeps using its copy of a status list or the cut-offs when it cannot get
 * a fresh one (and the `exp` of every status token the service signs): past it, a token whose
 * status it needs is refused as `status_unavailable`.
 */
export const STATUS_MAX_STALE_SECONDS = 300;
/** A list or document bigger than this, inflated, is refused: no signed list of ours is. */
export const MAX_STATUS_LIST_BYTES = 2 * 1024 * 1024;

/**
 * A key's secret rotation (POST /v2/application-keys/:id/secret): how long the secret it
 * replaces goes on authenticating, unless the caller says otherwise (a day: a deployment that
 * rolls the new secret out has a working day to do it), and the most it may say. A week covers a
 * weekly release train or a long weekend's change freeze; beyond it a forgotten old secret would
 * linger as a second thing to leak, and a move that takes longer is better made with a new key
 * beside the old one.
 */
export const DEFAULT_KEEP_OLD_SECRET_SECONDS = 86_400;
export const MAX_KEEP_OLD_SECRET_SECONDS = 7 * 86_400;

/** The audit trail keeps every entry at least this long (AUDIT_RETENTION_DAYS, default and least). */
export const MIN_AUDIT_RETENTION_DAYS = 90;

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
 * RSA keys from outside (a DPoP proof's header, a key's jwks): an RSA verification costs more
 * the longer the modulus and the larger the exponent, and a proof is checked for anyone who
 * sends one. Moduli of 2048 to 4096 bits (NIST SP 800-57's range in use; 4096 verifies in a
 * few times an Ed25519 signature's cost: docs/benchmark.md) and the exponent 65537 only.
 */
export const MIN_RSA_BITS = 2048;
export const MAX_RSA_BITS = 4096;

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
