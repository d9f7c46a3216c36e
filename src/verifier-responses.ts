/**
 * The HTTP answers around the importable verifier: the refusal in the token service's error
 * shape with its challenges, route middleware, and the resource's RFC 9728 document.
 */
import { dpopChallenge, insufficientScope, invalidToken, noToken } from "./http/bearer.ts";
import { HttpError, JwksUnavailableError } from "./lib/errors.ts";
import type { AccessTokenClaims } from "./oauth/claims.ts";
import { protectedResourceMetadata, protectedResourceMetadataUrl, type ResourceDescription } from "./oauth/protected-resource.ts";
import { isIssuerUrl } from "./oauth/resource.ts";
import type { Needs, VerifyResult } from "./tokens/access.ts";
import { CLIENT_ALGORITHMS } from "./tokens/client-keys.ts";
import type { Verifier } from "./verifier.ts";

/**
 * A failed result as a response in the token service's error shape, with the RFC 6750
 * challenge (and, for a 403, the scope the request needed). The failure reason is not in it:
 * it would only help an attacker.
 */
export function unauthorized(result: Extract<VerifyResult, { valid: false }>, realm = "api", resourceMetadataUrl?: string): Response {
  // Both go into quoted strings (RFC 9110 §5.6.4): a quote or backslash in them must not end one early.
  const quoted = realm.replace(/["\\]/g, "\\$&");
  // RFC 9728 §5.1: the challenge names where the resource's metadata is, for a client to find its authorization server.
  const named = (response: Response) => {
    if (resourceMetadataUrl !== undefined) {
      const url = resourceMetadataUrl.replace(/["\\]/g, "\\$&");
      response.headers.set("WWW-Authenticate", `${response.headers.get("WWW-Authenticate")}, resource_metadata="${url}"`);
    }
    return response;
  };
  if (result.status === 403) {
    const detail = result.error === "read_only" ? "This token may only read." : "This token lacks the scope this request needs.";
    return named(insufficientScope(quoted, result.scope, detail).toResponse());
  }
  const response = named((result.error === "no_token" ? noToken(quoted) : invalidToken(quoted)).toResponse());
  // RFC 9449 §7.1: a DPoP-bound token is welcome too, with a proof signed with one of these.
  response.headers.append("WWW-Authenticate", dpopChallenge(CLIENT_ALGORITHMS, result.error));
  return response;
}

/**
 * The issuer's key set could not be had (`JwksUnavailableError`): the token may well be good, so
 * the answer is 503 with Retry-After in the token service's error shape, never a 401 or a bare 500.
 */
export function unavailable(retryAfterSeconds = 5): Response {
  return new HttpError(503, "temporarily_unavailable", "The token could not be checked now; try again shortly.", {
    headers: { "Retry-After": String(retryAfterSeconds) },
  }).toResponse();
}

/** The request a route handler sees after `withToken`: the verified token's claims on it. */
export type AuthorizedRequest = Request & { claims: AccessTokenClaims };

/**
 * Route middleware in itty-router's style: `(request, env)` → `undefined` to go on, with the
 * claims on `request.claims`, or the 401/403 response (`unauthorized`), or a 503 when the
 * issuer's key set cannot be had (`unavailable`). It checks the whole
 * request (`verifyRequest`), so DPoP-bound tokens work with their proofs. `verifier` gets the
 * env, so a module-scope verifier can be built from bindings on first use. `needs` is what the
 * route requires (`{ scope: "orders:write" }`); without it the method rule applies.
 */
export function withToken<E>(verifier: (env: E) => Verifier, needs: Omit<Needs, "method" | "path"> = {}) {
  return async (request: Request, env: E): Promise<Response | undefined> => {
    const v = verifier(env);
    let result: VerifyResult;
    try {
      result = await v.verifyRequest(request, needs);
    } catch (error) {
      if (error instanceof JwksUnavailableError) return unavailable();
      throw error;
    }
    if (!result.valid) return unauthorized(result, "api", v.resource?.metadataUrl);
    (request as AuthorizedRequest).claims = result.claims;
    return undefined;
  };
}

/** A resource described without a verifier of this module: one whose tokens are checked over RPC. */
export interface DescribedResource {
  /** The token service's ISSUER, its authorization server. */
  issuer: string;
  resource: ResourceDescription;
}

const served = new WeakMap<object, (request: Request) => Response | undefined>();

/**
 * The resource's metadata (RFC 9728 §3) as a request handler in itty-router's style: the
 * document for a GET or HEAD of its well-known path (§3.1: the path after the host, with the
 * resource's own path and query after it; on whatever host the request came to, so that it
 * answers in development too), a CORS preflight for it, and undefined for anything else, so
 * that it goes first in a router or a fetch handler. Public and cacheable, readable from a
 * browser (an MCP client may run in one). Made once per verifier (or description).
 */
export function protectedResource(described: Verifier | DescribedResource): (request: Request) => Response | undefined {
  let handler = served.get(described);
  if (handler === undefined) {
    handler = metadataHandler(described);
    served.set(described, handler);
  }
  return handler;
}

function metadataHandler(described: Verifier | DescribedResource): (request: Request) => Response | undefined {
  const resource =
    "verify" in described
      ? described.resource
      : (() => {
          if (typeof described.issuer !== "string" || !isIssuerUrl(described.issuer)) {
            throw new TypeError(
              'protectedResource: "issuer" must be the token service\'s ISSUER, an http(s) URL without query or fragment',
            );
          }
          const metadata = protectedResourceMetadata(described.resource, described.issuer, CLIENT_ALGORITHMS);
          return { metadata, metadataUrl: protectedResourceMetadataUrl(metadata.resource) };
        })();
  if (resource === undefined) throw new TypeError("protectedResource: the verifier was created without a resource to describe");
  const at = new URL(resource.metadataUrl);
  const body = JSON.stringify(resource.metadata);
  return (request) => {
    const u = new URL(request.url);
    if (u.pathname !== at.pathname || u.search !== at.search) return undefined;
    if (request.method === "OPTIONS") {
      // A browser client's preflight (it may send MCP's own headers): any origin, the safe methods.
      return new Response(null, {
        status: 204,
        headers: {
          "Access-Control-Allow-Origin": "*",
          "Access-Control-Allow-Methods": "GET, HEAD, OPTIONS",
          "Access-Control-Allow-Headers": request.headers.get("Access-Control-Request-Headers") ?? "",
          "Access-Control-Max-Age": "86400",
        },
      });
    }
    if (request.method !== "GET" && request.method !== "HEAD") return undefined;
    return new Response(request.method === "HEAD" ? null : body, {
      headers: { "Content-Type": "application/json", "Cache-Control": "public, max-age=3600", "Access-Control-Allow-Origin": "*" },
    });
  };
}
