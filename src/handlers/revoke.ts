import { authenticateClient, presentedClient } from "../auth/client.ts";
import type { Env } from "../config/settings.ts";
import { param, readForm } from "../http/form.ts";
import { NO_STORE } from "../http/response.ts";
import { badRequest, HttpError } from "../lib/errors.ts";
import { revocationsKv } from "../store/bindings.ts";
import { putTokenRevocation } from "../store/revocations.ts";
import { verifyOwnToken } from "../tokens/service.ts";

/**
 * POST /oauth/revoke (RFC 7009). A token that is already unusable (garbage, expired, revoked,
 * not ours) needs nothing done and gets the same 200; only a live token of another client,
 * or a client_credentials token revoked without the secret, is refused (RFC 7009 §2.1).
 */
export async function revokeToken(request: Request, env: Env): Promise<Response> {
  const form = await readForm(request);
  const { client, confidential } = await authenticateClient(request, env, presentedClient(request, form), "either");
  const token = param(form, "token");
  if (token === undefined) throw badRequest('The parameter "token" is required.');
  // token_type_hint is optional and only a hint (RFC 7009 §2.1): every token here is an access token.

  const outcome = await verifyOwnToken(env, token, { acceptAdmin: true });
  if (!outcome.ok) return revoked();

  const { claims } = outcome;
  if (claims.client_id !== client.client_id) {
    throw new HttpError(400, "unauthorized_client", "The token was not issued to this client.");
  }
  if (!confidential && claims.grant_type !== "implicit") {
    throw new HttpError(400, "unauthorized_client", "Revoking a client_credentials token needs the client secret.");
  }
  // A failed write throws and becomes a 500: a revocation that did not persist is never a 200.
  await putTokenRevocation(revocationsKv(env), claims);
  return revoked();
}

const revoked = () => new Response(null, { status: 200, headers: NO_STORE });
