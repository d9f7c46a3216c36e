/** RFC 9068 access-token claims, plus the grant that produced the token. */
export interface AccessTokenClaims {
  iss: string;
  sub: string;
  aud: string;
  exp: number;
  iat: number;
  jti: string;
  client_id: string;
  scope: string;
  grant_type: Grant;
}

export type Grant = "client_credentials" | "implicit";

/**
 * implicit: read-only, for browser code that may only GET live catalogue data.
 * client_credentials: full create/read/update/delete access.
 */
export const SCOPES: Record<Grant, string> = {
  implicit: "read",
  client_credentials: "read write",
};

export const TOKEN_TYPE_HEADER = "at+jwt";
