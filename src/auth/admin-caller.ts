import { type Env, issuerFor, settings } from "../config/settings.ts";
import { bearerChallenge, dpopChallenge, insufficientScope, invalidToken, noToken, REALM } from "../http/bearer.ts";
import { noteClient } from "../http/context.ts";
import { HttpError } from "../lib/errors.ts";
import { adminAudience } from "../oauth/resource.ts";
import { APPLICATION_KEYS_SCOPE } from "../oauth/scope.ts";
import { listOfUri } from "../oauth/status.ts";
import { registry } from "../store/registry.ts";
import type { Caller } from "../store/registry-protocol.ts";
import { CLIENT_ALGORITHMS } from "../tokens/client-keys.ts";
import { carriesNoToken, presentationFailure, presentedToken, SeenProofs } from "../tokens/presentation.ts";
import { assertStatusKnown, verifyOwnToken } from "../tokens/service.ts";
import { secretMatches } from "./secret.ts";

/**
 * The admin API's caller: a live token (RFC 6750) for the admin API, checked by the shared
 * pipeline, presented as it must be (a DPoP-bound token only with `Authorization: DPoP` and its
 * proof for this request, RFC 9449 §7.1, as every verifier here takes one), carrying the scope the route needs (application_keys, or for /v2/signing-keys
 * signing_keys). Anything wrong with the token is the same 401, a token for another resource
 * included. An API token of this service (its own audience) is told what it lacks: 403 naming
 * the scope.
 *
 * `bootstrap`: a new deployment's first key may instead be created with
 * `Authorization: Bootstrap <secret>`, the one-time secret whose SHA-256 `npm run deploy`
 * uploads as BOOTSTRAP_SECRET_HASH and removes again; the registry honours it only while it
 * holds no key, so it never stands as a credential beside the keys.
 */
/** DPoP proofs the admin API has accepted in this isolate: a replay within a proof's window is refused. */
const seen = new SeenProofs();

export async function adminCallerOf(request: Request, env: Env, o: { bootstrap?: boolean; scope?: string } = {}): Promise<Caller> {
  const needed = o.scope ?? APPLICATION_KEYS_SCOPE;
  const authorization = request.headers.get("Authorization");
  if (authorization === null) throw noToken(REALM);
  const bootstrap = /^Bootstrap +([A-Za-z0-9_-]{43})$/.exec(authorization)?.[1];
  if (bootstrap !== undefined) {
    if (o.bootstrap && env.BOOTSTRAP_SECRET_HASH && (await secretMatches(bootstrap, env.BOOTSTRAP_SECRET_HASH))) {
      noteClient(request, "bootstrap");
      return { kind: "bootstrap" };
    }
    throw invalidToken(REALM);
  }
  // Credentials of another kind (Basic, say) are no token either (RFC 6750 §3.1).
  if (carriesNoToken(request)) throw noToken(REALM);

  const s = settings(env);
  const issuer = issuerFor(request, s);
  const admin = adminAudience(issuer);
  const presented = presentedToken(request);
  const outcome =
    presented === undefined ? undefined : await verifyOwnToken(env, presented.token, { audience: [admin, s.audience ?? issuer] });
  if (outcome) assertStatusKnown(outcome);
  if (!outcome?.ok) throw invalidToken(REALM);
  // A bound token copied from a log or a browser is useless without its key: the proof is checked here too.
  const failure = await presentationFailure(request, presented!, outcome.claims, seen);
  if (failure !== undefined) {
    const challenges = `${bearerChallenge(REALM, "invalid_token")}, ${dpopChallenge(CLIENT_ALGORITHMS, failure)}`;
    throw new HttpError(401, "invalid_token", invalidToken(REALM).detail, { headers: { "WWW-Authenticate": challenges } });
  }
  const { claims } = outcome;
  noteClient(request, claims.client_id);
  if (!claims.scope.split(" ").includes(needed)) {
    const what = needed === APPLICATION_KEYS_SCOPE ? "Managing application keys" : "Managing signing keys";
    throw insufficientScope(REALM, needed, `${what} needs a token with the ${needed} scope.`);
  }
  // A token that manages keys was issued for the admin API alone (one from before that rule is not taken).
  if (!(typeof claims.aud === "string" ? claims.aud === admin : claims.aud.includes(admin))) throw invalidToken(REALM);
  // What the registry checks against its own tables: the token's revocation, its kid, its key's cut-off.
  const { client_id, scope, grant_type, iat, key_version, jti } = claims;
  const ref = claims.status?.status_list;
  const list = ref && listOfUri(claims.iss, ref.uri);
  const status = list === undefined ? undefined : { list, idx: ref!.idx };
  return { kind: "key", claims: { client_id, scope, grant_type, iat, key_version, jti, kid: outcome.kid, status } };
}

/**
 * The caller of a read of the admin API (a listing, a key, its usage, an audit trail, the
 * signing keys): checked as adminCallerOf checks it, and then by the registry from its own
 * tables (the caller's key, cut-off, revoked jti, status bit and kid), as every change is, so
 * that a location whose KV copy is stale or was put back shows nothing to a revoked token.
 */
export async function adminReaderOf(request: Request, env: Env, o: { scope?: string } = {}): Promise<void> {
  const caller = await adminCallerOf(request, env, o);
  const live = await registry(env).callerIsLive(caller);
  if (live.ok) return;
  const { status, code, detail, headers } = live.refusal;
  throw status === 401 ? invalidToken(REALM) : new HttpError(status, code, detail, { headers });
}
