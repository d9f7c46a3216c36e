/**
 * The importable verifier: `createVerifier`, the same pipeline and rules as the token service's
 * own RPC entrypoint, on anything with WebCrypto and fetch (Workers, Node, Deno). The package
 * surface is src/verify.ts; the HTTP answers around it are in src/verifier-responses.ts.
 */
import { DEFAULT_CACHE_SECONDS, PUBLIC_MAX_AGE_SECONDS } from "./lib/limits.ts";
import { TtlCache } from "./lib/ttl-cache.ts";
import {
  type ProtectedResourceMetadata,
  protectedResourceMetadata,
  protectedResourceMetadataUrl,
  type ResourceDescription,
} from "./oauth/protected-resource.ts";
import { isIssuerUrl } from "./oauth/resource.ts";
import { type Needs, requestResult, tokenResult, type VerifyResult } from "./tokens/access.ts";
import { CLIENT_ALGORITHMS } from "./tokens/client-keys.ts";
import { importPublicKeys, type JwksSource, type KeyLookup, remoteKeyLookup } from "./tokens/jwks-cache.ts";
import { SeenProofs } from "./tokens/presentation.ts";
import { remoteStatusSource, type StatusFetcher } from "./tokens/remote-status.ts";
import { StatusCheck } from "./tokens/status-check.ts";
import { type VerifiedTokens, verifyAccessToken } from "./tokens/verify-access-token.ts";

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
  if (typeof o?.issuer !== "string" || !isIssuerUrl(o.issuer)) {
    throw new TypeError('createVerifier: "issuer" must be the token service\'s ISSUER, an http(s) URL without query or fragment');
  }
  // A mistyped key source would otherwise surface on every request as an outage (JwksUnavailableError).
  if (!isJwksSource(o.jwks)) {
    throw new TypeError('createVerifier: "jwks" must be the JWKS URL (http or https), a key set ({ keys: [...] }) or a Service Binding');
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

function isJwksSource(source: unknown): source is VerifierOptions["jwks"] {
  if (typeof source === "string" || source instanceof URL) {
    const u = URL.parse(String(source));
    return u !== null && (u.protocol === "https:" || u.protocol === "http:");
  }
  return (
    typeof source === "object" && source !== null && (isKeySet(source as JwksSource) || typeof (source as JwksFetcher).fetch === "function")
  );
}

/** Status documents come through the Service Binding when there is one, else over the network. */
function statusFetcher(source: VerifierOptions["jwks"]): StatusFetcher {
  if (typeof source === "string" || source instanceof URL || isKeySet(source)) return { fetch: (url, init) => fetch(url, init) };
  return source;
}

function isKeySet(source: JwksSource | JwksFetcher): source is { keys: unknown[] } {
  return Array.isArray((source as { keys?: unknown }).keys);
}
