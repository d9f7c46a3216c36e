/**
 * What a revocation lookup needs of a token, and the interface the verification pipeline calls.
 * A leaf shared by storage (which implements it over KV) and tokens (which calls it), so that
 * neither imports the other.
 */
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
