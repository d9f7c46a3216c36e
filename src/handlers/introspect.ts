import { authenticateClient, presentedClient } from "../auth/client.ts";
import type { Env } from "../config/settings.ts";
import { param, readForm } from "../http/form.ts";
import { json, TOKEN_NO_STORE } from "../http/response.ts";
import { badRequest } from "../lib/errors.ts";
import { assertStatusKnown, verifyOwnToken } from "../tokens/service.ts";

/**
 * POST /oauth/introspect (RFC 7662), for confidential clients only. Every kind of unusable
 * token answers the same `{"active":false}`: the reason stays server-side.
 */
export async function introspectToken(request: Request, env: Env): Promise<Response> {
  const form = await readForm(request);
  await authenticateClient(request, env, presentedClient(request, form), "confidential");
  const token = param(form, "token");
  if (token === undefined) throw badRequest('The parameter "token" is required.');

  const outcome = await verifyOwnToken(env, token, { acceptAdmin: true });
  assertStatusKnown(outcome);
  if (!outcome.ok) return json({ active: false }, 200, TOKEN_NO_STORE);
  const c = outcome.claims;
  return json(
    {
      active: true,
      client_id: c.client_id,
      sub: c.sub,
      scope: c.scope,
      exp: c.exp,
      iat: c.iat,
      iss: c.iss,
      aud: c.aud,
      jti: c.jti,
      // RFC 9449 §6.2: a DPoP-bound token says so, and what it is bound to.
      token_type: c.cnf ? "DPoP" : "Bearer",
      ...(c.cnf ? { cnf: c.cnf } : {}),
      grant_type: c.grant_type,
    },
    200,
    TOKEN_NO_STORE,
  );
}
