import { WorkerEntrypoint } from "cloudflare:workers";
import type { Env } from "./config/settings.ts";
import type { TokenVerifier as TokenVerifierContract } from "./rpc-contract.ts";
import { type Needs, requestResult, tokenResult, type VerifyResult } from "./tokens/access.ts";
import { SeenProofs } from "./tokens/presentation.ts";
import { verifyOwnToken } from "./tokens/service.ts";

export type { Needs, VerifyResult } from "./tokens/access.ts";

/** DPoP proofs this isolate has accepted: a replay within a proof's window is refused here. */
const seen = new SeenProofs();

/**
 * Token verification for other Workers over a Service Binding:
 *   services = [{ binding = "AUTH", service = "edge-token", entrypoint = "TokenVerifier" }]
 * `needs` says what the call needs (see Needs); without it, the check is that of a write.
 * Tokens for any audience this service issues for APIs pass, unless `needs.audience` names the
 * caller's own (a token that manages keys only where it names the admin API's). An RPC call
 * has no origin: where ISSUER is unset (local development), a token signed by this service's
 * key set passes the issuer check.
 */
export class TokenVerifier extends WorkerEntrypoint<Env> implements TokenVerifierContract {
  /** A bearer token on its own. A DPoP-bound token is refused: only its request shows its proof. */
  async verify(token: string, needs?: Needs): Promise<VerifyResult> {
    return tokenResult(await verifyOwnToken(this.env, token, { audience: audienceOf(needs) }), needs);
  }

  /**
   * The request a token came with: `Authorization: Bearer` or `DPoP`, and for a DPoP-bound token
   * its proof for this request (RFC 9449). The request's method and path are what it needs
   * unless `needs` says otherwise.
   */
  async verifyRequest(request: Request, needs?: Needs): Promise<VerifyResult> {
    const audience = audienceOf(needs);
    return requestResult(request, needs, (token) => verifyOwnToken(this.env, token, { audience }), seen);
  }
}

/** A request from another Worker is untrusted input: a malformed audience is its bug, loudly. */
function audienceOf(needs: Needs | undefined): string | string[] | undefined {
  const a = needs?.audience;
  if (a === undefined || typeof a === "string" || (Array.isArray(a) && a.every((x) => typeof x === "string"))) return a;
  throw new TypeError("verify: request.audience must be a string or an array of strings");
}
