import { type Env, issuerFor, settings } from "../config/settings.ts";
import { routeParam } from "../http/context.ts";
import { HttpError } from "../lib/errors.ts";
import { TtlCache } from "../lib/ttl-cache.ts";
import { listName, statusListUri } from "../oauth/status.ts";
import { revocationsKv } from "../store/bindings.ts";
import { STATUS_LIST_PREFIX } from "../store/kv-keys.ts";
import { statusListDocument } from "../store/status-documents.ts";
import { signStatusToken } from "../tokens/sign-status-token.ts";
import { activeSigner } from "../tokens/signing-keys.ts";
import { STATUS_LIST_TYP } from "../tokens/status-token.ts";

/**
 * GET /oauth/status-lists/:list: a Status List Token (draft-ietf-oauth-status-list §5.1, §8.2),
 * signed now with the service's signing key: the list's bits as KV holds them here, `ttl` the
 * time a verifier may reuse it (REVOCATION_CACHE_SECONDS), `exp` how long a copy that cannot be
 * refreshed may be relied on. Public, like the JWKS: it says only which indices are revoked.
 */
export async function getStatusList(request: Request, env: Env): Promise<Response> {
  const list = listName(routeParam(request, "list"));
  if (list === undefined) throw noSuchList();
  const issuer = issuerFor(request, settings(env));
  const ttlSeconds = statusTtl(env);
  const key = signedKey(issuer, list);
  // A number that names no list is answered from this isolate's memory for a ttl: asking KV and
  // the registry again for every such request is what anyone could make this endpoint cost.
  if (absent.get(key)) throw noSuchList();
  const jwt = await signedOnce(env, key, async () => {
    const doc = await statusListDocument(env, list);
    if (doc === null || doc === undefined) {
      absent.set(key, true, ttlSeconds * 1000);
      return undefined;
    }
    return signStatusToken(await activeSigner(env), STATUS_LIST_TYP, {
      issuer,
      subject: statusListUri(issuer, list),
      ttlSeconds,
      claims: { status_list: { bits: doc.value.bits, lst: doc.value.lst } },
      changedAtMs: doc.iat,
    });
  });
  if (jwt === undefined) throw noSuchList();
  return new Response(jwt, { headers: statusHeaders(`application/${STATUS_LIST_TYP}`, ttlSeconds) });
}

const noSuchList = () => new HttpError(404, "not_found", "There is no status list by this name.");

/** List names found to name no list, by issuer and name: each for the lists' ttl. Bounded like the signed copies. */
const absent = new TtlCache<true>(1_000);

/**
 * Signed status documents, reused for a second (never longer than REVOCATION_CACHE_SECONDS):
 * every verifier isolate fetches each document every few seconds, and this keeps what that costs
 * to at most one KV read and one signature a second per document and isolate.
 */
const signed = new TtlCache<string>(1_000);

/** What a change this isolate made makes stale at once: what it signs next shows the change. */
export const forgetSigned = (issuer: string, document: string): void => signed.delete(signedKey(issuer, document));
/** A list by its name, or the cut-offs by `cutoffs` (which no list name can be). */
export const signedKey = (issuer: string, document: string) => `${issuer} ${document}`;

export async function signedOnce(env: Env, key: string, make: () => Promise<string | undefined>): Promise<string | undefined> {
  const held = signed.get(key);
  if (held !== undefined) return held;
  const jwt = await make();
  if (jwt !== undefined) signed.set(key, jwt, Math.min(1, settings(env).revocationCacheSeconds) * 1000);
  return jwt;
}

/**
 * GET /oauth/status-lists: the Status List Aggregation (§9.3), every list still published. Kept
 * per isolate for the lists' ttl: a KV list per request would spend the free plan's 1,000 lists
 * a day on whoever asks.
 */
export async function listStatusLists(request: Request, env: Env): Promise<Response> {
  const issuer = issuerFor(request, settings(env));
  const ttlSeconds = statusTtl(env);
  let body = aggregations.get(issuer);
  if (body === undefined) {
    body = JSON.stringify(await aggregation(env, issuer));
    aggregations.set(issuer, body, ttlSeconds * 1000);
  }
  return new Response(body, { headers: statusHeaders("application/json", ttlSeconds) });
}

const aggregations = new TtlCache<string>(100);

async function aggregation(env: Env, issuer: string): Promise<{ status_lists: string[] }> {
  const kv = revocationsKv(env);
  const lists: string[] = [];
  let cursor: string | undefined;
  do {
    const page = await kv.list({ prefix: STATUS_LIST_PREFIX, ...(cursor ? { cursor } : {}) });
    for (const k of page.keys) {
      const name = listName(k.name.slice(STATUS_LIST_PREFIX.length));
      if (name !== undefined) lists.push(name);
    }
    cursor = page.list_complete ? undefined : page.cursor;
  } while (cursor);
  return { status_lists: lists.sort((a, b) => Number(a) - Number(b)).map((name) => statusListUri(issuer, name)) };
}

/** A status document's `ttl`: what the service's own verifier waits; positive, as §5.1 requires. */
export const statusTtl = (env: Env): number => Math.max(1, settings(env).revocationCacheSeconds);

export const statusHeaders = (contentType: string, ttlSeconds: number) => ({
  "Content-Type": contentType,
  "Cache-Control": `public, max-age=${ttlSeconds}`,
});
