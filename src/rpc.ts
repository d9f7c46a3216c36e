import { WorkerEntrypoint } from "cloudflare:workers";
import type { Env } from "./env.ts";
import { type RequestInfo, toResult, type VerifyResult } from "./tokens/access.ts";
import { verifyOwnToken } from "./tokens/service.ts";

export type { VerifyResult, RequestInfo } from "./tokens/access.ts";

/**
 * Token verification for other Workers over a Service Binding:
 *   services = [{ binding = "AUTH", service = "edge-token", entrypoint = "TokenVerifier" }]
 * An RPC call has no origin: where ISSUER is unset, a token signed by this service's key set
 * passes the issuer check (see README, "Verifying tokens in other Workers").
 */
export class TokenVerifier extends WorkerEntrypoint<Env> {
  async verify(token: string, request?: RequestInfo): Promise<VerifyResult> {
    return toResult(await verifyOwnToken(this.env, token), request);
  }
}
