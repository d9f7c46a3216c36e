import { bearerToken, dpopChallenge, insufficientScope, invalidToken } from "./http/bearer.ts";
/**
 * The importable verifier, for Workers that verify edge-token's tokens in-process:
 *
 *   import { createVerifier, unauthorized } from "edge-token/verify";
 *   const verifier = createVerifier({ issuer: "https://auth.example.com", jwks: env.AUTH });
 *   const result = await verifier.verifyRequest(request);   // Bearer or DPoP, with its proof
 *   if (!result.valid) return unauthorized(result);
 *
 * Same pipeline and rules as the token service's own RPC entrypoint, whose type a consumer
 * binding it imports from "edge-token/rpc". This module needs no Workers types: it runs on
 * Node as well.
 */
import { DEFAULT_CACHE_SECONDS, PUBLIC_MAX_AGE_SECONDS } from "./lib/limits.ts";
import { TtlCache } from "./lib/ttl-cache.ts";
import {
  PROTECTED_RESOURCE_PATH,
  type ProtectedResourceMetadata,
  protectedResourceMetadata,
  protectedResourceMetadataUrl,
  type ResourceDescription,
} from "./oauth/protected-resource.ts";
import { isResourceUri } from "./oauth/resource.ts";
import { type Needs, requestResult, tokenResult, type VerifyResult } from "./tokens/access.ts";
import { CLIENT_ALGORITHMS } from "./tokens/client-keys.ts";
import { importPublicKeys, type JwksSource, type KeyLookup, remoteKeyLookup } from "./tokens/jwks-cache.ts";
import { SeenProofs } from "./tokens/presentation.ts";
import { remoteStatusSource, type StatusFetcher } from "./tokens/remote-status.ts";
import { StatusCheck } from "./tokens/status-check.ts";
import { type VerifiedTokens, verifyAccessToken } from "./tokens/verify-access-token.ts";

export type { AccessTokenClaims } from "./oauth/claims.ts";
export type { Needs, VerifyResult } from "./tokens/access.ts";

import type { AccessTokenClaims } from "./oauth/claims.ts";

export { JwksUnavailableError } from "./lib/errors.ts";
export type { ProtectedResourceMetadata, ResourceDescription } from "./oauth/protected-resource.ts";
export type { FailureCode } from "./tokens/verify-access-token.ts";
export { bearerToken, PROTECTED_RESOURCE_PATH, protectedResourceMetadataUrl };

/** A Service Binding to the token service (a Worker's `Fetcher`), or anything that fetches like one. */
export type JwksFetcher = StatusFetcher;

export interface VerifierOptions {
  /** The token service's ISSUER: tokens must carry exactly this `iss`. */
  issuer: string;
  /**
   * Accepted `aud` values: a token whose `aud` holds any of them passes. Default: the issuer,
   * as the token service does. A resource server of its own (RFC 8707) names its URI here.
   */
  audience?: string | string[];
  /**
   * The public keys: the JWKS URL, a key set object, or a Service Binding (Fetcher) to the
   * token service, through which `<issuer>/.well-known/jwks.json` is fetched.
   */
  jwks: string | URL | { keys: unknown[] } | JwksFetcher;
  /**
   * Revocations are checked unless this is `false` (then revoked tokens pass until they expire):
   * each token's status list and the cut-offs, fetched from the issuer (through `jwks` when it
   * is a Service Binding, else over the network), trusted only as tokens signed by its keys,
   * and cached in the isolate. No binding to edge-token's storage is needed. A KV namespace, as
   * earlier versions took here, still means "check" and is not read.
   */
  revocations?: boolean | object;
  /** Default PUBLIC_MAX_AGE_SECONDS (300), the JWKS endpoint's max-age. */
  jwksMaxAgeSeconds?: number;
  /** Default 30. */
  jwksRefetchCooldownSeconds?: number;
  /**
   * How long a status list or the cut-offs are reused in this isolate before they are fetched
   * again (or their `ttl`, if shorter). Default 10; 0 fetches for every check (concurrent
   * checks share one fetch). A revocation is seen at most this much later than the issuer
   * serves it.
   */
  revocationCacheSeconds?: number;
  /**
   * This resource server, described for clients (RFC 9728): its identifier, and where given a
   * name and the scopes it uses. With it the verifier has `resource` (the metadata document and
   * its URL), `protectedResource()` serves the document, and `unauthorized()` names it in the
   * challenge (§5.1). Tokens must then carry its identifier in `aud` unless `audience` says
   * otherwise (a client asks for one with `resource`, RFC 8707).
   */
  resource?: ResourceDescription;
}

export interface Verifier {
  /** A bearer token on its own. A DPoP-bound token is refused (`dpop_required`): only its request shows its proof. */
  verify(token: string, needs?: Needs): Promise<VerifyResult>;
  /**
   * The request a token came with: `Authorization: Bearer` or `DPoP`, and for a DPoP-bound token
   * its proof for this request (RFC 9449 §7.1: htm, htu, ath, the key's thumbprint, iat, a jti
   * this verifier has not seen in this isolate). The request's method and path are what it
   * needs unless `needs` says otherwise.
   */
  verifyRequest(request: Request, needs?: Needs): Promise<VerifyResult>;
  /** The resource as `resource` described it (RFC 9728): its metadata document and the URL it is served at; undefined without one. */
  readonly resource: { metadata: ProtectedResourceMetadata; metadataUrl: string } | undefined;
}

export function createVerifier(o: VerifierOptions): Verifier {
  // Without it, iss would go unchecked and aud would default to whatever the token claims.
  if (typeof o.issuer !== "string" || !isResourceUri(o.issuer)) {
    throw new TypeError('createVerifier: "issuer" must be the token service\'s ISSUER, an absolute URL');
  }
  const r = o.revocations;
  if (r !== undefined && typeof r !== "boolean" && (typeof r !== "object" || r === null)) {
    throw new TypeError('createVerifier: "revocations" is true (the default: checked against the issuer\'s status lists) or false');
  }
  const metadata = o.resource === undefined ? undefined : protectedResourceMetadata(o.resource, o.issuer, CLIENT_ALGORITHMS);
  const audience = o.audience ?? metadata?.resource;
  const key = keyLookup(o);
  const revocations =
    r === false
      ? undefined
      : new StatusCheck(remoteStatusSource(o.issuer, key, statusFetcher(o.jwks)), o.revocationCacheSeconds ?? DEFAULT_CACHE_SECONDS);
  const verified: VerifiedTokens = new TtlCache(5_000);
  const seen = new SeenProofs();
  const check = (token: string, needs: Needs | undefined) =>
    verifyAccessToken(token, { key, issuer: o.issuer, audience: needs?.audience ?? audience, revocations, verified });
  return {
    async verify(token, needs) {
      return tokenResult(await check(token, needs), needs);
    },
    async verifyRequest(request, needs) {
      return requestResult(request, needs, (token) => check(token, needs), seen);
    },
    resource: metadata && { metadata, metadataUrl: protectedResourceMetadataUrl(metadata.resource) },
  };
}

function keyLookup(o: VerifierOptions): KeyLookup {
  const cacheOptions = {
    maxAgeSeconds: o.jwksMaxAgeSeconds ?? PUBLIC_MAX_AGE_SECONDS,
    cooldownSeconds: o.jwksRefetchCooldownSeconds ?? 30,
  };
  const source = o.jwks;
  if (typeof source === "string" || source instanceof URL) {
    return remoteKeyLookup(String(source), { fetch: (url) => fetch(url) }, cacheOptions);
  }
  if (isKeySet(source)) {
    const keys = importPublicKeys(source);
    return async (kid) => (await keys).get(kid);
  }
  const url = `${o.issuer.replace(/\/+$/, "")}/.well-known/jwks.json`;
  return remoteKeyLookup(url, { fetch: (u) => source.fetch(u) }, cacheOptions);
}

/** Status documents come through the Service Binding when there is one, else over the network. */
function statusFetcher(source: VerifierOptions["jwks"]): StatusFetcher {
  if (typeof source === "string" || source instanceof URL || isKeySet(source)) return { fetch: (url, init) => fetch(url, init) };
  return source;
}

function isKeySet(source: JwksSource | JwksFetcher): source is { keys: unknown[] } {
  return Array.isArray((source as { keys?: unknown }).keys);
}

/**
 * A failed result as a response in the token service's error shape, with the RFC 6750
 * challenge (and, for a 403, the scope the request needed). The failure reason is not in it:
 * it would only help an attacker.
 */
export function unauthorized(result: Extract<VerifyResult, { valid: false }>, realm = "api", resourceMetadataUrl?: string): Response {
  // RFC 9728 §5.1: the challenge names where the resource's metadata is, for a client to find its authorization server.
  const named = (response: Response) => {
    if (resourceMetadataUrl !== undefined) {
      response.headers.set("WWW-Authenticate", `${response.headers.get("WWW-Authenticate")}, resource_metadata="${resourceMetadataUrl}"`);
    }
    return response;
  };
  if (result.status === 403) {
    const detail = result.error === "read_only" ? "This token may only read." : "This token lacks the scope this request needs.";
    return named(insufficientScope(realm, result.scope, detail).toResponse());
  }
  const response = named(invalidToken(realm).toResponse());
  // RFC 9449 §7.1: a DPoP-bound token is welcome too, with a proof signed with one of these.
  response.headers.append("WWW-Authenticate", dpopChallenge(CLIENT_ALGORITHMS));
  return response;
}

/** The request a route handler sees after `withToken`: the verified token's claims on it. */
export type AuthorizedRequest = Request & { claims: AccessTokenClaims };

/**
 * Route middleware in itty-router's style: `(request, env)` → `undefined` to go on, with the
 * claims on `request.claims`, or the 401/403 response (`unauthorized`). It checks the whole
 * request (`verifyRequest`), so DPoP-bound tokens work with their proofs. `verifier` gets the
 * env, so a module-scope verifier can be built from bindings on first use. `needs` is what the
 * route requires (`{ scope: "orders:write" }`); without it the method rule applies.
 */
export function withToken<E>(verifier: (env: E) => Verifier, needs: Omit<Needs, "method" | "path"> = {}) {
  return async (request: Request, env: E): Promise<Response | undefined> => {
    const v = verifier(env);
    const result = await v.verifyRequest(request, needs);
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
 * document for a GET of its well-known URL (on this resource's host and path, §3.1), undefined
 * for anything else, so that it goes first in a router or a fetch handler. Public and
 * cacheable, readable from a browser (an MCP client may run in one). Made once per verifier
 * (or description), however often it is asked for.
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
          if (typeof described.issuer !== "string" || !isResourceUri(described.issuer)) {
            throw new TypeError('protectedResource: "issuer" must be the token service\'s ISSUER, an absolute URL');
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
    if (request.method !== "GET" && request.method !== "HEAD") return undefined;
    return new Response(request.method === "HEAD" ? null : body, {
      headers: { "Content-Type": "application/json", "Cache-Control": "public, max-age=3600", "Access-Control-Allow-Origin": "*" },
    });
  };
}
