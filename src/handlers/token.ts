import { authenticateClient, presentedClient } from "../auth/client.ts";
import { assertProofIfRequired, proofUsedOnce, tokenRequestProof } from "../auth/dpop.ts";
import { returnToQuota, takeFromQuota } from "../auth/quota.ts";
import { assertIssuanceAllowed } from "../auth/throttle.ts";
import { regionOf } from "../config/regions.ts";
import { type Env, issuerFor, settings } from "../config/settings.ts";
import { param, readForm } from "../http/form.ts";
import { json, TOKEN_NO_STORE } from "../http/response.ts";
import { badRequest, HttpError } from "../lib/errors.ts";
import type { AccessTokenClaims, Grant } from "../oauth/claims.ts";
import { statusListUri } from "../oauth/status.ts";
import { grantAudience, grantScope, namesAnApi } from "../policy/grant.ts";
import { signAccessToken } from "../tokens/sign.ts";
import { activeSigner, heldSigner } from "../tokens/signing-keys.ts";
import { heldStatusIndex, NoStatusIndexError, nextStatusIndex } from "../tokens/status-index.ts";

/**
 * POST /oauth/access_token: client_credentials (a secret, or a private_key_jwt assertion) and
 * implicit; with a DPoP proof, a token bound to the proof's key.
 */
export async function createAccessToken(request: Request, env: Env): Promise<Response> {
  const form = await readForm(request);
  const grant = param(form, "grant_type");
  if (grant === undefined) throw badRequest('The parameter "grant_type" is required.');
  if (grant !== "client_credentials" && grant !== "implicit") {
    throw badRequest('The grant_type must be "client_credentials" or "implicit".', "unsupported_grant_type");
  }

  const presented = presentedClient(request, form);
  if (presented === undefined) throw badRequest('The parameter "client_id" is required.');
  if (grant === "client_credentials" && presented.clientSecret === undefined && presented.assertion === undefined) {
    throw badRequest('The parameter "client_secret" is required.');
  }
  const proof = await tokenRequestProof(request);
  // implicit: a public client; any credentials sent along are ignored.
  const mode = grant === "client_credentials" ? "confidential" : "public";
  const { client } = await authenticateClient(request, env, presented, mode, proof && proofUsedOnce(proof));
  assertProofIfRequired(client, proof);
  const s = settings(env);
  const issuer = issuerFor(request, s);
  const resources = form.all("resource");
  const scope = grantScope(client, grant, param(form, "scope"), s, namesAnApi(resources, issuer));
  const audience = grantAudience(resources, scope, s, issuer);
  // A service that cannot sign says so before a quota or an index is spent on a token it cannot make.
  const signer = heldSigner(env) ?? (await activeSigner(env));
  // Only a request that would get its token counts toward the issuance limit and the quota, and takes a status index.
  if (s.limitIssuance) await assertIssuanceAllowed(env, request, client.client_id, grant);
  // The key's quota is its owner's: spent only by requests that proved they are the key. An
  // implicit request needs nothing but the public client_id, and is limited per caller instead.
  // What needs no wait (no quota, an index this isolate holds) is taken without an await.
  const kind = grant === "client_credentials" ? "token" : "implicit";
  const quota = takeFromQuota(env, client, kind);
  const taken = quota instanceof Promise ? await quota : quota;
  const { list, idx } = heldStatusIndex() ?? (await statusIndex(env, s.tokenTtlSeconds, request, () => returnToQuota(client, kind, taken)));

  const { token, claims } = await signAccessToken(signer, {
    issuer,
    audience,
    ttlSeconds: s.tokenTtlSeconds,
    clientId: client.client_id,
    grant: grant satisfies Grant,
    scope,
    jkt: proof?.jkt,
    // A record from before the registry kept versions is its version 1 there.
    keyVersion: client.version ?? 1,
    status: { idx, uri: statusListUri(issuer, list) },
  });
  return json(tokenBody(token, claims), 200, TOKEN_NO_STORE);
}

/**
 * A token's place in a status list, leased near the caller: a token no status object could place
 * is not made (503), and what was taken for it is given back (`unspend`).
 */
async function statusIndex(env: Env, ttlSeconds: number, request: Request, unspend: () => void) {
  try {
    return await nextStatusIndex(env, ttlSeconds, regionOf(request));
  } catch (error) {
    if (!(error instanceof NoStatusIndexError)) throw error;
    unspend();
    throw new HttpError(503, "temporarily_unavailable", "The service cannot issue tokens at the moment: try again shortly.", {
      headers: { "Retry-After": "5" },
      cause: error,
    });
  }
}

/**
 * The reference's `data` wrapper, and the same members at the top level for RFC 6749 §5.1
 * clients and Elastic Path's JS SDK, which read `access_token` and `expires` from there.
 * `scope` is always returned (RFC 6749 §5.1 asks for it when it differs from the request).
 */
function tokenBody(accessToken: string, c: AccessTokenClaims) {
  const data = {
    access_token: accessToken,
    // RFC 9449 §5: a token bound to a DPoP key is of that type.
    token_type: c.cnf ? "DPoP" : "Bearer",
    expires_in: c.exp - c.iat,
    expires: c.exp,
    identifier: c.grant_type,
    scope: c.scope,
  };
  return { data, ...data };
}
