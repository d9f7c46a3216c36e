import type { AccessTokenClaims } from "./claims.ts";

/**
 * Where a token's status is published, and what the published status says of it: the pure
 * half of revocation, shared by the issuer, the service's own verifier and the importable one.
 *
 * Two documents tell a token's status, both signed by the service and served beside its JWKS:
 * - the status list its `status.status_list` names (draft-ietf-oauth-status-list §4, §5): one
 *   bit per token, set by /oauth/revoke;
 * - the cut-offs: per client, the lowest key version still good and the latest `iat` of the
 *   tokens from before the version claim that are revoked, set by the registry when a key is
 *   narrowed or deleted; the `jti`s of revoked tokens from before status lists; and the kids of
 *   signing keys an emergency rotation retired, whose every token is revoked.
 */

/** The path of a status list, under the issuer. */
export const STATUS_LISTS_PATH = "/oauth/status-lists";
/** The path of the cut-offs document, under the issuer. */
export const CUTOFFS_PATH = "/oauth/cutoffs";

export const statusListUri = (issuer: string, list: string): string => `${issuer}${STATUS_LISTS_PATH}/${list}`;
export const cutoffsUri = (issuer: string): string => `${issuer}${CUTOFFS_PATH}`;

/**
 * A list's name as a path or document names it: a positive decimal integer without leading
 * zeros, at most 9 digits. Its leading digit names the region whose status object owns it
 * (store/status-owners.ts): 300000017 is Europe's 17th list; below 100000000, a list made
 * before regions.
 */
export function listName(text: string): string | undefined {
  return /^[1-9]\d{0,8}$/.test(text) ? text : undefined;
}

/** The name of the list `uri` names, when it is one of this issuer's lists. */
export function listOfUri(issuer: string, uri: string): string | undefined {
  const prefix = `${issuer}${STATUS_LISTS_PATH}/`;
  return uri.startsWith(prefix) ? listName(uri.slice(prefix.length)) : undefined;
}

/** Every version, for good: what a deleted key's cut-off revokes. */
export const ALL_VERSIONS = Number.MAX_SAFE_INTEGER;
/** Far enough ahead that every token ever issued to the client was issued before it (9999-12-31). */
export const ALL_TOKENS = 253_402_300_799;

/** One client's cut-off, as the cut-offs document carries it. */
export interface Cutoff {
  /** Tokens minted from a key record of a lower version are revoked (ALL_VERSIONS: every one). */
  v: number;
  /** Tokens without a version claim issued at or before this time (epoch seconds) are revoked. */
  t: number;
}

/** The cut-offs document's content. */
export interface Cutoffs {
  /** By client_id. */
  clients: Record<string, Cutoff>;
  /** Revoked tokens from before status lists, by jti: epoch seconds until which the entry matters. */
  tokens: Record<string, number>;
  /**
   * Signing keys whose every token is revoked (an emergency rotation), by kid: epoch seconds
   * until which the entry matters. A document from before emergency rotations has none.
   */
  kids?: Record<string, number>;
  /**
   * Per client_id, the change time (epoch ms, the envelope's `iat`) below which a copy of its
   * key record in KV is stale and not used (the registry is asked instead): every change of a
   * key, its deletion included, for as long as an earlier copy could still be put back
   * (docs/storage.md). A document from before has none.
   */
  records?: Record<string, number>;
}

/** Whether a client's cut-off revokes this token. */
export function revokedByCutoff(claims: Pick<AccessTokenClaims, "iat" | "key_version">, cutoff: Cutoff | undefined): boolean {
  if (cutoff === undefined) return false;
  return claims.key_version === undefined ? claims.iat <= cutoff.t : claims.key_version < cutoff.v;
}

/** The stricter of two cut-offs of one client: cut-offs only ever go up. */
export function higherCutoff(a: Cutoff | undefined, b: Cutoff | undefined): Cutoff | undefined {
  if (a === undefined) return b;
  if (b === undefined) return a;
  return { v: Math.max(a.v, b.v), t: Math.max(a.t, b.t) };
}

/** Whether a value is a well-formed cut-offs document's content. */
export function isCutoffs(value: unknown): value is Cutoffs {
  if (typeof value !== "object" || value === null) return false;
  const { clients, tokens } = value as Partial<Cutoffs>;
  if (typeof clients !== "object" || clients === null || typeof tokens !== "object" || tokens === null) return false;
  for (const c of Object.values(clients)) {
    if (typeof c !== "object" || c === null || !Number.isSafeInteger(c.v) || !Number.isSafeInteger(c.t)) return false;
  }
  const kids = (value as Partial<Cutoffs>).kids;
  if (kids !== undefined && (typeof kids !== "object" || kids === null || !Object.values(kids).every((u) => Number.isSafeInteger(u)))) {
    return false;
  }
  const records = (value as Partial<Cutoffs>).records;
  if (records !== undefined && (typeof records !== "object" || records === null || !Object.values(records).every(Number.isSafeInteger))) {
    return false;
  }
  return Object.values(tokens).every((until) => Number.isSafeInteger(until));
}
