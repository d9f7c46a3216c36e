import { HttpError } from "../lib/errors.ts";

/** The realm of this service's own challenges (Basic at the token endpoint, Bearer at the admin API). */
export const REALM = "edge-token";

/** The Bearer token of a request (RFC 6750 §2.1), or undefined when there is none. */
export function bearerToken(request: Request): string | undefined {
  const h = request.headers.get("Authorization");
  const m = h === null ? null : /^Bearer[ ]+([A-Za-z0-9\-._~+/]+=*)[ \t]*$/i.exec(h);
  return m?.[1];
}

/**
 * RFC 6750 §3's WWW-Authenticate challenge. Scope values cannot hold `"` or `\` (RFC 6749
 * §3.3), so they are safe inside the quoted string.
 */
export function bearerChallenge(realm: string, error?: "invalid_token" | "insufficient_scope", scope?: string): string {
  return `Bearer realm="${realm}"${error ? `, error="${error}"` : ""}${scope ? `, scope="${scope}"` : ""}`;
}

/** A request with no token at all: RFC 6750 §3.1, the challenge says a token is needed and carries no error code. */
export function noToken(realm: string): HttpError {
  return new HttpError(401, "invalid_token", "An access token is required.", { headers: { "WWW-Authenticate": bearerChallenge(realm) } });
}

/** One answer for every unusable token: which check failed would only help an attacker. */
export function invalidToken(realm: string): HttpError {
  return new HttpError(401, "invalid_token", "The access token is missing, invalid, expired or revoked.", {
    headers: { "WWW-Authenticate": bearerChallenge(realm, "invalid_token") },
  });
}

export function insufficientScope(realm: string, scope: string, detail: string): HttpError {
  return new HttpError(403, "insufficient_scope", detail, {
    headers: { "WWW-Authenticate": bearerChallenge(realm, "insufficient_scope", scope) },
  });
}

/**
 * RFC 9449 §7.1's challenge, offered beside the Bearer one, naming the algorithms proofs may
 * use, for a refusal of this failure code: `invalid_dpop_proof` when the token was good and its
 * proof was not (`dpop_invalid`), `invalid_token` for any other, no error code when the request
 * had no token (`no_token`, RFC 6750 §3.1).
 */
export function dpopChallenge(algs: readonly string[], failure: string): string {
  const error = failure === "no_token" ? undefined : failure === "dpop_invalid" ? "invalid_dpop_proof" : "invalid_token";
  return `DPoP algs="${algs.join(" ")}"${error ? `, error="${error}"` : ""}`;
}
