import { authenticateClient, presentedClient } from "../auth/client.ts";
import { assertRevocationAllowed } from "../auth/revocation-limits.ts";
import type { Env } from "../config/settings.ts";
import { bearerToken } from "../http/bearer.ts";
import { noteClient } from "../http/context.ts";
import { type Form, param, readForm } from "../http/form.ts";
import { NO_STORE } from "../http/response.ts";
import { badRequest, HttpError } from "../lib/errors.ts";
import type { AccessTokenClaims } from "../oauth/claims.ts";
import { listOfUri } from "../oauth/status.ts";
import { registry } from "../store/registry.ts";
import { ownerOf, statusRegion } from "../store/status-owners.ts";
import { verifyOwnToken } from "../tokens/service.ts";
import { rememberRevoked, revokedByThisIsolate } from "../tokens/status-check.ts";
import { forgetSigned } from "./status-lists.ts";

/**
 * POST /oauth/revoke (RFC 7009). A token that is already unusable (garbage, expired, not ours)
 * needs nothing done and gets the same 200; only a live token of another client, or a
 * client_credentials token revoked without the secret, is refused (RFC 7009 §2.1). The owner of
 * the token's status list sets its bit (or, for a token from before status lists, the registry
 * lists its jti in the cut-offs document); this isolate refuses the token at once.
 *
 * Without client credentials, the holder of a token may revoke that token by presenting it as
 * its Bearer token (see `revokeOwnToken`).
 */
export async function revokeToken(request: Request, env: Env): Promise<Response> {
  const form = await readForm(request);
  const presented = presentedClient(request, form);
  const bearer = bearerToken(request);
  if (bearer !== undefined) {
    // One proof at a time, as with client credentials themselves: which one counts is never a guess.
    if (presented !== undefined) throw badRequest("Send either client credentials or a Bearer token, not both.");
    return revokeOwnToken(request, env, bearer, form);
  }
  const { client, confidential } = await authenticateClient(request, env, presented, "either");
  await assertRevocationAllowed(env, request, confidential ? { confidential, clientId: client.client_id } : { confidential });
  const token = requiredToken(form);
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
  await revokeVerified(env, claims);
  return revoked();
}

/**
 * The bearer revokes the token it presents, and only that one: possession of a token is the
 * proof RFC 7009 asks of its holder, whatever its grant (the console's admin tokens, a
 * storefront's implicit ones). A DPoP-bound token may be revoked this way too, without a proof:
 * revoking only takes rights away, so a thief who has the token without its key can do no more
 * than end it early. A bearer token that does not verify is already unusable: the same 200,
 * nothing done.
 */
async function revokeOwnToken(request: Request, env: Env, bearer: string, form: Form): Promise<Response> {
  const token = requiredToken(form);
  await assertRevocationAllowed(env, request, { confidential: false });
  if (token !== bearer) throw badRequest('The parameter "token" must be the Bearer token: a bearer revokes its own token only.');
  const outcome = await verifyOwnToken(env, token, { acceptAdmin: true, status: false });
  if (!outcome.ok) return revoked();
  noteClient(request, outcome.claims.client_id);
  await revokeVerified(env, outcome.claims);
  return revoked();
}

function requiredToken(form: Form): string {
  const token = param(form, "token");
  if (token === undefined) throw badRequest('The parameter "token" is required.');
  return token;
}

/**
 * Revokes a token that verified, where its status lives: its list's owner (a region's status
 * object, named by the list; the registry for a list from before regions), or the registry for
 * a token from before status lists. An owner that cannot be asked throws and becomes a 500: a
 * revocation nobody holds is never a 200.
 */
async function revokeVerified(env: Env, claims: AccessTokenClaims): Promise<void> {
  // Revoked here before: its owner holds it already, and a token revoked again costs it nothing.
  if (revokedByThisIsolate(claims)) return;
  const ref = claims.status?.status_list;
  const list = ref && listOfUri(claims.iss, ref.uri);
  const owner = list === undefined ? undefined : ownerOf(list);
  const { jti, client_id, exp } = claims;
  if (owner?.region !== undefined) {
    await statusRegion(env, owner.region).revokeToken(owner.region, { jti, client_id, exp, n: owner.n, idx: ref!.idx });
  } else {
    await registry(env).revokeToken({ jti, client_id, exp, status: owner && list !== undefined ? { list, idx: ref!.idx } : undefined });
  }
  rememberRevoked(claims);
  if (list !== undefined) forgetSigned(claims.iss, list);
}

const revoked = () => new Response(null, { status: 200, headers: NO_STORE });
