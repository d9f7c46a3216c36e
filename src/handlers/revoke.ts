import { authenticateClient, presentedClient } from "../auth/client.ts";
import type { Env } from "../config/settings.ts";
import { param, readForm } from "../http/form.ts";
import { NO_STORE } from "../http/response.ts";
import { badRequest, HttpError } from "../lib/errors.ts";
import { listOfUri } from "../oauth/status.ts";
import { registry } from "../store/registry.ts";
import { verifyOwnToken } from "../tokens/service.ts";
import { rememberRevoked } from "../tokens/status-check.ts";
import { forgetSigned } from "./status-lists.ts";

/**
 * POST /oauth/revoke (RFC 7009). A token that is already unusable (garbage, expired, not ours)
 * needs nothing done and gets the same 200; only a live token of another client, or a
 * client_credentials token revoked without the secret, is refused (RFC 7009 §2.1). The registry
 * sets the token's bit in its status list (or, for a token from before status lists, lists its
 * jti in the cut-offs document); this isolate refuses the token at once.
 */
export async function revokeToken(request: Request, env: Env): Promise<Response> {
  const form = await readForm(request);
  const { client, confidential } = await authenticateClient(request, env, presentedClient(request, form), "either");
  const token = param(form, "token");
  if (token === undefined) throw badRequest('The parameter "token" is required.');
  // token_type_hint is optional and only a hint (RFC 7009 §2.1): every token here is an access token.

  // Its status does not matter here: revoking a revoked token again changes nothing.
  const outcome = await verifyOwnToken(env, token, { acceptAdmin: true, status: false });
  if (!outcome.ok) return revoked();

  const { claims } = outcome;
  if (claims.client_id !== client.client_id) {
    throw new HttpError(400, "unauthorized_client", "The token was not issued to this client.");
  }
  if (!confidential && claims.grant_type !== "implicit") {
    throw new HttpError(400, "unauthorized_client", "Revoking a client_credentials token needs the client secret.");
  }
  // A registry that cannot be asked throws and becomes a 500: a revocation it does not hold is never a 200.
  const ref = claims.status?.status_list;
  const list = ref && listOfUri(claims.iss, ref.uri);
  await registry(env).revokeToken({
    jti: claims.jti,
    client_id: claims.client_id,
    exp: claims.exp,
    status: list === undefined ? undefined : { list, idx: ref!.idx },
  });
  rememberRevoked(claims);
  if (list !== undefined) forgetSigned(claims.iss, list);
  return revoked();
}

const revoked = () => new Response(null, { status: 200, headers: NO_STORE });
