import { base64url, type CryptoKey, compactVerify, decodeProtectedHeader } from "jose";
import { StatusUnavailableError } from "../lib/errors.ts";
import { acceptedUntil, CLOCK_SKEW_SECONDS } from "../lib/limits.ts";
import { sha256 } from "../lib/sha256.ts";
import { nowSeconds } from "../lib/time.ts";
import type { TtlCache } from "../lib/ttl-cache.ts";
import { type AccessTokenClaims, GRANTS } from "../oauth/claims.ts";
import { adminAudience } from "../oauth/resource.ts";
import { managesService } from "../oauth/scope.ts";
import type { VerificationKey } from "./algorithms.ts";
import { isAlgorithm } from "./algorithms.ts";
import { isCanonicalCompactJws } from "./compact.ts";
import { isLowS } from "./low-s.ts";

/**
 * Why a token was refused. Stable: tests and callers branch on these, never on messages.
 * Kept out of HTTP responses, where telling an attacker which check failed would help them.
 */
export type FailureCode =
  | "malformed"
  | "alg_not_allowed"
  | "unknown_kid"
  | "bad_signature"
  | "wrong_typ"
  | "invalid_claims"
  | "wrong_issuer"
  | "wrong_audience"
  | "expired"
  | "not_yet_valid"
  | "revoked"
  /** Its status list or the cut-offs could not be had, and no copy young enough was held: refused, not guessed. */
  | "status_unavailable";

export type VerifyOutcome =
  /** `kid`: the key that signed it. */
  | { ok: true; claims: AccessTokenClaims; kid: string }
  | { ok: false; code: FailureCode }
  /** Why the status could not be had (for the service's own log line; never in a response). */
  | { ok: false; code: "status_unavailable"; cause: unknown };

/** How verification learns whether a token was revoked (status lists and cut-offs: tokens/status-check.ts). */
export interface RevocationChecker {
  /** `kid`: the key that signed it. Throws StatusUnavailableError when it cannot say: a verifier must never guess "not revoked". */
  isRevoked(claims: AccessTokenClaims, kid: string): Promise<boolean>;
}

/**
 * Tokens whose signature and claims already checked out, by a SHA-256 digest of their text (an
 * entry's size does not grow with the token's): APIs see the same token many times over its
 * life, and the signature check is the costliest step. An
 * entry is used only while the key that verified it is still the one its kid resolves to (a
 * rotated-out key invalidates it); iss, aud, time and revocation are checked on every use.
 */
export type VerifiedTokens = TtlCache<{ claims: AccessTokenClaims; kid: string; key: CryptoKey }>;

const MAX_VERIFIED_ENTRY_MS = 3600_000;

export interface VerifyOptions {
  /** The verification key for a kid, or undefined when there is none. */
  key(kid: string): VerificationKey | undefined | Promise<VerificationKey | undefined>;
  /** Required `iss`. undefined (ISSUER unset, local development): any issuer whose token the key set signed. */
  issuer: string | undefined;
  /** Accepted `aud` values; any one of them in the token's `aud` will do. undefined: the issuer; with no issuer either, the token's own `iss`. */
  audience: string | readonly string[] | undefined;
  /** Further accepted audiences: the resources this service issues tokens for (RFC 8707). */
  resources?: ReadonlySet<string> | undefined;
  /**
   * Whether tokens that manage keys pass too (introspection and revocation see every token).
   * Otherwise such a token (its `aud` is the admin API's, or it carries application_keys or signing_keys)
   * passes only where `audience` names the admin API's audience itself.
   */
  acceptAdmin?: boolean | undefined;
  revocations?: RevocationChecker | undefined;
  /** epoch seconds */
  now?: number;
  verified?: VerifiedTokens | undefined;
}

const TYP = new Set(["at+jwt", "application/at+jwt"]);

/**
 * The one verification pipeline: parse → key by kid → signature with the algorithm allow-list
 * (ES256 in low-S form only)
 * → typ/claims/iss/aud/exp/nbf → revocation. Signature before claims, always. Never throws for
 * a bad token; a failing key or revocation lookup (infrastructure, not the token) does throw.
 */
export async function verifyAccessToken(token: unknown, o: VerifyOptions): Promise<VerifyOutcome> {
  // Before any decoding: only the canonical spelling goes further (see compact.ts).
  if (typeof token !== "string" || !isCanonicalCompactJws(token)) return fail("malformed");
  const cacheKey = o.verified ? base64url.encode(await sha256(token)) : "";
  const hit = o.verified?.get(cacheKey);
  if (hit && (await o.key(hit.kid))?.key === hit.key) return checkClaims(hit.claims, hit.kid, o);

  let header: ReturnType<typeof decodeProtectedHeader>;
  try {
    header = decodeProtectedHeader(token);
  } catch {
    return fail("malformed");
  }
  if (!isAlgorithm(header.alg)) return fail("alg_not_allowed");
  if (typeof header.kid !== "string") return fail("unknown_kid");
  const key = await o.key(header.kid);
  if (!key) return fail("unknown_kid");
  // The key decides the algorithm, never the token: no cross-algorithm confusion.
  if (key.alg !== header.alg) return fail("alg_not_allowed");

  // The signature is canonical at this point (compact.ts), so decoding it cannot fail.
  if (key.alg === "ES256" && !isLowS(base64url.decode(token.slice(token.lastIndexOf(".") + 1)))) return fail("bad_signature");
  let payload: Uint8Array;
  try {
    ({ payload } = await compactVerify(token, key.key, { algorithms: [key.alg] }));
  } catch {
    return fail("bad_signature");
  }

  if (typeof header.typ !== "string" || !TYP.has(header.typ.toLowerCase())) return fail("wrong_typ");
  const claims = parseClaims(payload);
  if (!claims) return fail("invalid_claims");
  o.verified?.set(cacheKey, { claims, kid: header.kid, key: key.key }, Math.min(claims.exp * 1000 - Date.now(), MAX_VERIFIED_ENTRY_MS));
  return checkClaims(claims, header.kid, o);
}

/** Everything after the signature: issuer, audience, time, revocation. */
async function checkClaims(claims: AccessTokenClaims, kid: string, o: VerifyOptions): Promise<VerifyOutcome> {
  if (o.issuer !== undefined && claims.iss !== o.issuer) return fail("wrong_issuer");
  const own = o.audience ?? o.issuer ?? claims.iss;
  const named = (aud: string) => (typeof own === "string" ? aud === own : own.includes(aud));
  const admin = adminAudience(o.issuer ?? claims.iss);
  const auds = typeof claims.aud === "string" ? [claims.aud] : claims.aud;
  const managesKeys = auds.includes(admin) || managesService(claims.scope);
  if (managesKeys && !o.acceptAdmin && !named(admin)) return fail("wrong_audience");
  const accepts = (aud: string) => named(aud) || o.resources?.has(aud) === true || (o.acceptAdmin === true && aud === admin);
  if (!auds.some(accepts)) return fail("wrong_audience");

  const now = o.now ?? nowSeconds();
  if (now >= acceptedUntil(claims.exp)) return fail("expired");
  const nbf = (claims as { nbf?: unknown }).nbf;
  if (claims.iat > now + CLOCK_SKEW_SECONDS || (typeof nbf === "number" && nbf > now + CLOCK_SKEW_SECONDS)) {
    return fail("not_yet_valid");
  }

  if (o.revocations) {
    try {
      if (await o.revocations.isRevoked(claims, kid)) return fail("revoked");
    } catch (error) {
      if (error instanceof StatusUnavailableError) return { ok: false, code: "status_unavailable", cause: error };
      throw error;
    }
  }
  return { ok: true, claims, kid };
}

const fail = (code: FailureCode): VerifyOutcome => ({ ok: false, code });
const decoder = new TextDecoder();

function parseClaims(payload: Uint8Array): AccessTokenClaims | undefined {
  let c: Record<string, unknown>;
  try {
    c = JSON.parse(decoder.decode(payload));
  } catch {
    return undefined;
  }
  if (typeof c !== "object" || c === null || Array.isArray(c)) return undefined;
  const ok =
    typeof c.iss === "string" &&
    typeof c.sub === "string" &&
    (typeof c.aud === "string" || (Array.isArray(c.aud) && c.aud.every((a) => typeof a === "string"))) &&
    Number.isFinite(c.exp) &&
    Number.isFinite(c.iat) &&
    typeof c.jti === "string" &&
    c.jti !== "" &&
    typeof c.client_id === "string" &&
    typeof c.scope === "string" &&
    (GRANTS as readonly unknown[]).includes(c.grant_type) &&
    (c.cnf === undefined || (typeof c.cnf === "object" && c.cnf !== null && typeof (c.cnf as { jkt?: unknown }).jkt === "string")) &&
    (c.key_version === undefined || (Number.isSafeInteger(c.key_version) && (c.key_version as number) >= 0)) &&
    (c.status === undefined || isStatusReference(c.status));
  return ok ? (c as unknown as AccessTokenClaims) : undefined;
}

/** draft-ietf-oauth-status-list §6.2: `status` holds `status_list` with a non-negative integer `idx` and a string `uri`. */
function isStatusReference(status: unknown): boolean {
  const ref = (status as { status_list?: { idx?: unknown; uri?: unknown } } | null)?.status_list;
  return (
    typeof ref === "object" && ref !== null && Number.isSafeInteger(ref.idx) && (ref.idx as number) >= 0 && typeof ref.uri === "string"
  );
}
