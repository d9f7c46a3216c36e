import type { Env } from "../env.ts";
import { bearerChallenge, bearerToken, insufficientScope, invalidToken } from "../http/bearer.ts";
import { noteClient } from "../http/context.ts";
import { HttpError } from "../http/errors.ts";
import { APPLICATION_KEYS_SCOPE } from "../policy/scope.ts";
import type { AccessTokenClaims } from "../tokens/claims.ts";
import { verifyOwnToken } from "../tokens/service.ts";
import { REALM } from "./client.ts";

/**
 * The admin API's caller: a live token (RFC 6750) for this service itself (not one issued for
 * another resource), checked by the shared pipeline, carrying the application_keys scope.
 * Anything wrong with the token is the same 401; a token without the scope is a 403.
 */
export async function requireKeyManager(request: Request, env: Env): Promise<AccessTokenClaims> {
  if (!request.headers.has("Authorization")) {
    throw new HttpError(401, "invalid_token", "An access token is required.", { headers: { "WWW-Authenticate": bearerChallenge(REALM) } });
  }
  const token = bearerToken(request);
  const outcome = token === undefined ? undefined : await verifyOwnToken(env, token, { resources: false });
  if (!outcome?.ok) throw invalidToken(REALM);
  noteClient(request, outcome.claims.client_id);
  if (!outcome.claims.scope.split(" ").includes(APPLICATION_KEYS_SCOPE)) {
    throw insufficientScope(
      REALM,
      APPLICATION_KEYS_SCOPE,
      `Managing application keys needs a token with the ${APPLICATION_KEYS_SCOPE} scope.`,
    );
  }
  return outcome.claims;
}
