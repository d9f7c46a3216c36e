/**
 * The token service's RPC entrypoint as a consumer's Service Binding sees it, the whole of
 * "edge-token/rpc" (types only):
 *
 *   import type { TokenVerifier } from "edge-token/rpc";
 *   interface Env { AUTH: Service<TokenVerifier> }
 *   const result = await env.AUTH.verifyRequest(request);
 *
 * An interface rather than the class itself, so that a consumer's type check needs neither the
 * service's Env nor its sources. src/rpc.ts implements it.
 */
import type { Needs, VerifyResult } from "./tokens/access.ts";

export type { AccessTokenClaims } from "./oauth/claims.ts";
export type { Needs, VerifyResult } from "./tokens/access.ts";

export interface TokenVerifier extends Rpc.WorkerEntrypointBranded {
  /** A bearer token on its own. A DPoP-bound token is refused: only its request shows its proof. */
  verify(token: string, needs?: Needs): Promise<VerifyResult>;
  /**
   * The request a token came with: `Authorization: Bearer` or `DPoP`, and for a DPoP-bound token
   * its proof for this request (RFC 9449). The request's method and path are what it needs
   * unless `needs` says otherwise.
   */
  verifyRequest(request: Request, needs?: Needs): Promise<VerifyResult>;
}
