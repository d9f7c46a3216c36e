import { type Env, settings } from "../config/settings.ts";
import { context } from "../http/context.ts";
import { HttpError } from "../lib/errors.ts";
import { CLIENT_FAILURE_WARNING, RATE_LIMIT_PERIOD_SECONDS } from "../lib/limits.ts";
import type { Grant } from "../oauth/claims.ts";
import { callerAddress } from "./address.ts";

/**
 * Client secrets are 256 random bits: guessing one online is hopeless, so this only caps what
 * garbage traffic costs, and never stands between a correct credential and its token. The
 * credential is always checked first; only a failure is counted, per caller address, and a
 * failure over the limit answers 429 instead of 401. Nothing is ever locked: client_ids are
 * public, and anything keyed by one alone is something any stranger could trigger.
 */

const MAX_TRACKED_CLIENTS = 10_000;
const failuresByClient = new Map<string, { minute: number; count: number }>();

/**
 * Counts a failed client authentication and returns the error to answer with: `failed`, or a
 * 429 when the caller's address is over its limit. `clientId` is counted only when it has the
 * shape of a real one (the caller has checked), so an operator sees attacks on real clients.
 */
export async function failedAuthentication(
  env: Env,
  request: Request,
  clientId: string | undefined,
  failed: HttpError,
): Promise<HttpError> {
  if (clientId !== undefined) countClientFailure(request, clientId);
  const outcome = await env.AUTH_FAILURES_PER_IP?.limit({ key: callerAddress(request) });
  return outcome?.success === false ? tooMany("Too many failed authentication attempts from this address; try again later.") : failed;
}

/** Puts the count on the request's own log line: one line per request, a warning past the threshold. */
function countClientFailure(request: Request, clientId: string): void {
  const minute = Math.floor(Date.now() / 60_000);
  let entry = failuresByClient.get(clientId);
  if (entry?.minute !== minute) {
    if (entry === undefined && failuresByClient.size >= MAX_TRACKED_CLIENTS) failuresByClient.clear();
    entry = { minute, count: 0 };
    failuresByClient.set(clientId, entry);
  }
  entry.count++;
  const c = context(request);
  c.clientFailures = entry.count;
  if (entry.count >= CLIENT_FAILURE_WARNING) c.level = "warn";
}

/**
 * Optional, off by default (LIMIT_ISSUANCE): successful issuance per client_id, in a separate
 * bucket per grant, and implicit also per address. The address is asked first, so one
 * address's flood is refused before it can use up the client's implicit bucket; the
 * client_credentials bucket a backend relies on is never touched by implicit traffic.
 */
export async function assertIssuanceAllowed(env: Env, request: Request, clientId: string, grant: Grant): Promise<void> {
  if (!settings(env).limitIssuance) return;
  if (grant === "implicit" && (await env.IMPLICIT_PER_IP?.limit({ key: callerAddress(request) }))?.success === false) {
    throw tooMany("Too many tokens were requested from this address; try again later.");
  }
  if ((await env.ISSUANCE_PER_CLIENT?.limit({ key: `${grant}:${clientId}` }))?.success === false) {
    throw tooMany("Too many tokens were requested for this client; try again later.");
  }
}

function tooMany(detail: string): HttpError {
  return new HttpError(429, "rate_limited", detail, { headers: { "Retry-After": String(RATE_LIMIT_PERIOD_SECONDS) } });
}
