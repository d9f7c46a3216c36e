import type { Env } from "../config/settings.ts";
import { HttpError } from "../lib/errors.ts";
import { RATE_LIMIT_PERIOD_SECONDS } from "../lib/limits.ts";
import { callerAddress } from "./address.ts";

/**
 * Revocation costs the registry a write and a status list a new copy, so it is limited like
 * anything the public can send: a revocation that proved nothing but a public client_id, or the
 * token itself (its bearer), per caller address (REVOKE_PER_IP); one that authenticated as a
 * confidential client per that client_id (REVOKE_PER_CLIENT), a bucket nobody else can spend,
 * so a backend revoking its own tokens is never limited by what others sent.
 */
export async function assertRevocationAllowed(
  env: Env,
  request: Request,
  caller: { confidential: true; clientId: string } | { confidential: false },
): Promise<void> {
  const outcome = caller.confidential
    ? await env.REVOKE_PER_CLIENT?.limit({ key: caller.clientId })
    : await env.REVOKE_PER_IP?.limit({ key: callerAddress(request) });
  if (outcome?.success === false) {
    const detail = caller.confidential
      ? "Too many revocations for this client; try again later."
      : "Too many revocations from this address; try again later.";
    throw new HttpError(429, "rate_limited", detail, { headers: { "Retry-After": String(RATE_LIMIT_PERIOD_SECONDS) } });
  }
}
