import type { Env } from "../env.ts";
import { bearerToken } from "../http/bearer.ts";
import { noteClient } from "../http/context.ts";
import { HttpError } from "../http/errors.ts";
import { canWrite } from "../tokens/access.ts";
import type { AccessTokenClaims } from "../tokens/claims.ts";
import { verifyOwnToken } from "../tokens/service.ts";
import { REALM } from "./client.ts";

/**
 * The admin API's caller: a live client_credentials token (RFC 6750), checked by the shared
 * pipeline. A read-only (implicit) token is a 403; anything else wrong is the same 401.
 */
export async function requireManager(request: Request, env: Env): Promise<AccessTokenClaims> {
  const header = request.headers.get("Authorization");
  if (header === null) {
    throw new HttpError(401, "invalid_token", "An access token is required.", {
      headers: { "WWW-Authenticate": `Bearer realm="${REALM}"` },
    });
  }
  const token = bearerToken(request);
  const outcome = token === undefined ? undefined : await verifyOwnToken(env, token);
  if (!outcome?.ok) {
    throw new HttpError(401, "invalid_token", "The access token is missing, invalid, expired or revoked.", {
      headers: { "WWW-Authenticate": `Bearer realm="${REALM}", error="invalid_token"` },
    });
  }
  noteClient(request, outcome.claims.client_id);
  if (!canWrite(outcome.claims)) {
    throw new HttpError(403, "insufficient_scope", "Managing application keys needs a client_credentials token.", {
      headers: { "WWW-Authenticate": `Bearer realm="${REALM}", error="insufficient_scope", scope="read write"` },
    });
  }
  return outcome.claims;
}
