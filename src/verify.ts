/**
 * "edge-token/verify": the importable verifier, for Workers, Node servers and Hono or
 * itty-router apps that verify edge-token's tokens in-process:
 *
 *   import { createVerifier, unauthorized } from "edge-token/verify";
 *   const verifier = createVerifier({ issuer: "https://auth.example.com", jwks: env.AUTH });
 *   const result = await verifier.verifyRequest(request);   // Bearer or DPoP, with its proof
 *   if (!result.valid) return unauthorized(result);
 *
 * Same pipeline and rules as the token service's own RPC entrypoint, whose type a consumer
 * binding it imports from "edge-token/rpc". Needs no Workers types: it runs on Node as well.
 * This module is the package's surface only; npm pack builds dist/verify.js from it.
 */
export { bearerToken } from "./http/bearer.ts";
export { JwksUnavailableError } from "./lib/errors.ts";
export type { AccessTokenClaims } from "./oauth/claims.ts";
export {
  PROTECTED_RESOURCE_PATH,
  type ProtectedResourceMetadata,
  protectedResourceMetadataUrl,
  type ResourceDescription,
} from "./oauth/protected-resource.ts";
export type { Needs, VerifyResult } from "./tokens/access.ts";
export type { PresentationFailure } from "./tokens/presentation.ts";
export type { FailureCode } from "./tokens/verify-access-token.ts";
export { createVerifier, type JwksFetcher, type Verifier, type VerifierOptions } from "./verifier.ts";
export {
  type AuthorizedRequest,
  type DescribedResource,
  protectedResource,
  unauthorized,
  unavailable,
  withToken,
} from "./verifier-responses.ts";
