import { type Env, issuerFor, settings } from "../config/settings.ts";
import { routeParam } from "../http/context.ts";
import { HttpError } from "../lib/errors.ts";
import { listNumber, statusListUri } from "../oauth/status.ts";
import { revocationsKv } from "../store/bindings.ts";
import { STATUS_LIST_PREFIX } from "../store/kv-keys.ts";
import { statusListDocument } from "../store/status-documents.ts";
import { keySet } from "../tokens/signing-keys.ts";
import { STATUS_LIST_TYP, signStatusToken } from "../tokens/status-token.ts";

/**
 * GET /oauth/status-lists/:list: a Status List Token (draft-ietf-oauth-status-list §5.1, §8.2),
 * signed now with the service's signing key: the list's bits as KV holds them here, `ttl` the
 * time a verifier may reuse it (REVOCATION_CACHE_SECONDS), `exp` how long a copy that cannot be
 * refreshed may be relied on. Public, like the JWKS: it says only which indices are revoked.
 */
export async function getStatusList(request: Request, env: Env): Promise<Response> {
  const list = listNumber(routeParam(request, "list"));
  const doc = list === undefined ? null : await statusListDocument(env, list);
  if (list === undefined || doc === null) throw new HttpError(404, "not_found", "There is no status list with this number.");
  const issuer = issuerFor(request, settings(env));
  const ttlSeconds = statusTtl(env);
  const jwt = await signStatusToken(await keySet(env.SIGNING_KEYS), STATUS_LIST_TYP, {
    issuer,
    subject: statusListUri(issuer, list),
    ttlSeconds,
    claims: { status_list: { bits: doc.bits, lst: doc.lst } },
  });
  return new Response(jwt, { headers: statusHeaders(`application/${STATUS_LIST_TYP}`, ttlSeconds) });
}

/** GET /oauth/status-lists: the Status List Aggregation (§9.3), every list still published. */
export async function listStatusLists(request: Request, env: Env): Promise<Response> {
  const issuer = issuerFor(request, settings(env));
  const kv = revocationsKv(env);
  const lists: number[] = [];
  let cursor: string | undefined;
  do {
    const page = await kv.list({ prefix: STATUS_LIST_PREFIX, ...(cursor ? { cursor } : {}) });
    for (const k of page.keys) {
      const n = listNumber(k.name.slice(STATUS_LIST_PREFIX.length));
      if (n !== undefined) lists.push(n);
    }
    cursor = page.list_complete ? undefined : page.cursor;
  } while (cursor);
  const body = { status_lists: lists.sort((a, b) => a - b).map((n) => statusListUri(issuer, n)) };
  return new Response(JSON.stringify(body), { headers: statusHeaders("application/json", statusTtl(env)) });
}

/** A status document's `ttl`: what the service's own verifier waits; positive, as §5.1 requires. */
export const statusTtl = (env: Env): number => Math.max(1, settings(env).revocationCacheSeconds);

export const statusHeaders = (contentType: string, ttlSeconds: number) => ({
  "Content-Type": contentType,
  "Cache-Control": `public, max-age=${ttlSeconds}`,
});
