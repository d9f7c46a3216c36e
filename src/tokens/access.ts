import type { AccessTokenClaims } from "../oauth/claims.ts";
import { covers, parseScope } from "../oauth/scope.ts";
import { carriesNoToken, type PresentationFailure, presentationFailure, presentedToken, type SeenProofs } from "./presentation.ts";
import type { FailureCode, VerifyOutcome } from "./verify-access-token.ts";

/** What every verification path returns to its caller (RPC, importable module). */
export type VerifyResult =
  | { valid: true; claims: AccessTokenClaims }
  | { valid: false; status: 401; error: FailureCode | PresentationFailure }
  /** `scope`: what the request needed (RFC 6750 §3's challenge carries it). */
  | { valid: false; status: 403; error: "insufficient_scope" | "read_only"; scope: string };

/**
 * What the request a token is about to be used for needs.
 * - `scope`: space-delimited scopes, all required; when given, it alone decides. Empty or
 *   blank counts as not given.
 * - otherwise `method`: GET, HEAD and OPTIONS need a valid token; anything else needs `write`.
 * A check told nothing (no request, or no method) is the check of a write: fail closed.
 * - `audience` (RPC only): accept only tokens for this audience (a resource server's own URI).
 */
export interface Needs {
  method?: string;
  path?: string;
  scope?: string;
  audience?: string | string[];
}

const SAFE_METHODS = new Set(["GET", "HEAD", "OPTIONS"]);
const WRITE_SCOPE = "write";

/** Turns a verification outcome into a result, with the access the request needs checked. */
function toResult(outcome: VerifyOutcome, request?: Needs): VerifyResult {
  if (!outcome.ok) return { valid: false, status: 401, error: outcome.code };
  const held = outcome.claims.scope.split(" ");
  const needed = requiredScope(request);
  if (needed !== undefined) {
    return covers(held, needed)
      ? { valid: true, claims: outcome.claims }
      : { valid: false, status: 403, error: "insufficient_scope", scope: needed.join(" ") };
  }
  const method = typeof request?.method === "string" ? request.method.toUpperCase() : undefined;
  if ((method === undefined || !SAFE_METHODS.has(method)) && !held.includes(WRITE_SCOPE)) {
    return { valid: false, status: 403, error: "read_only", scope: WRITE_SCOPE };
  }
  return { valid: true, claims: outcome.claims };
}

/**
 * A malformed requirement is the resource server's bug: it throws rather than guess. An empty
 * or blank scope is absent (a route whose scope comes from an empty setting), so the method
 * rule applies: never "nothing needed".
 */
function requiredScope(request: Needs | undefined): string[] | undefined {
  const scope = request?.scope;
  if (scope === undefined || (typeof scope === "string" && scope.trim() === "")) return undefined;
  const needed = typeof scope === "string" ? parseScope(scope) : undefined;
  if (needed === undefined)
    throw new TypeError('verify: request.scope must be space-delimited scope-tokens, like "orders:read orders:write"');
  return needed;
}

/**
 * A token checked on its own (`verify(token, needs)`): a bearer token as always; a DPoP-bound
 * one is refused, since only the request it comes with can show its proof.
 */
export function tokenResult(outcome: VerifyOutcome, needs?: Needs): VerifyResult {
  if (outcome.ok && outcome.claims.cnf) return { valid: false, status: 401, error: "dpop_required" };
  return toResult(outcome, needs);
}

/**
 * A request checked whole (`verifyRequest(request, needs)`): its token from `Authorization`
 * (Bearer or DPoP), checked by `verifyToken` like any token, then its presentation (a DPoP-bound
 * token needs its proof for this request), then what the request needs: its own method and
 * path unless `needs` says otherwise.
 */
export async function requestResult(
  request: Request,
  needs: Needs | undefined,
  verifyToken: (token: string) => Promise<VerifyOutcome>,
  seen: SeenProofs,
): Promise<VerifyResult> {
  const presented = presentedToken(request);
  if (presented === undefined) return { valid: false, status: 401, error: carriesNoToken(request) ? "no_token" : "malformed" };
  const outcome = await verifyToken(presented.token);
  if (!outcome.ok) return { valid: false, status: 401, error: outcome.code };
  const failure = await presentationFailure(request, presented, outcome.claims, seen);
  if (failure !== undefined) return { valid: false, status: 401, error: failure };
  return toResult(outcome, { method: request.method, path: new URL(request.url).pathname, ...needs });
}
