/** RFC 9068 access-token claims, plus the grant that produced the token. */
export interface AccessTokenClaims {
  iss: string;
  sub: string;
  /** A resource (RFC 8707), several, or AUDIENCE / the issuer. */
  aud: string | string[];
  exp: number;
  iat: number;
  jti: string;
  client_id: string;
  scope: string;
  grant_type: Grant;
  /** RFC 9449 §6.1: a DPoP-bound token names its key's thumbprint; a bearer token has none. */
  cnf?: { jkt: string };
  /**
   * Private claim: the version of the key record the token was minted from. A narrowing of the
   * key revokes its tokens of lower versions. Absent on tokens from before it.
   */
  key_version?: number;
  /** draft-ietf-oauth-status-list §6.2: where this token's revocation bit is. Absent on tokens from before it. */
  status?: { status_list: StatusListReference };
}

/** draft-ietf-oauth-status-list §6.2: a token's index in the status list at `uri`. */
export interface StatusListReference {
  idx: number;
  uri: string;
}

/** The grants this service implements, in the order they are listed everywhere. */
export const GRANTS = ["client_credentials", "implicit"] as const;
export type Grant = (typeof GRANTS)[number];

/** A non-empty array of known grants, in GRANTS order, each once; undefined when it is not one. */
export function grantsOf(value: unknown): Grant[] | undefined {
  const known: readonly unknown[] = GRANTS;
  if (!Array.isArray(value) || value.length === 0 || !value.every((g) => known.includes(g))) return undefined;
  return GRANTS.filter((g) => value.includes(g));
}

export const TOKEN_TYPE_HEADER = "at+jwt";
