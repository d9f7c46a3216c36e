import { WorkerEntrypoint } from "cloudflare:workers";
import type { Env } from "./env.ts";
import { type RequestInfo, toResult, type VerifyResult } from "./tokens/access.ts";
import { verifyOwnToken } from "./tokens/service.ts";

export type { RequestInfo, VerifyResult } from "./tokens/access.ts";

/**
 * Token verification for other Workers over a Service Binding:
 *   services = [{ binding = "AUTH", service = "edge-token", entrypoint = "TokenVerifier" }]
 * `request` says what the call needs (see RequestInfo); without it, the check is that of a
 * write. Tokens for any audience this service issues for pass, unless `request.audience` names
 * the caller's own. An RPC call has no origin: where ISSUER is unset (local development), a
 * token signed by this service's key set passes the issuer check.
 */
export class TokenVerifier extends WorkerEntrypoint<Env> {
  async verify(token: string, request?: RequestInfo): Promise<VerifyResult> {
    return toResult(await verifyOwnToken(this.env, token, { audience: audienceOf(request) }), request);
  }
}

/** A request from another Worker is untrusted input: a malformed audience is its bug, loudly. */
function audienceOf(request: RequestInfo | undefined): string | string[] | undefined {
  const a = request?.audience;
  if (a === undefined || typeof a === "string" || (Array.isArray(a) && a.every((x) => typeof x === "string"))) return a;
  throw new TypeError("verify: request.audience must be a string or an array of strings");
}
