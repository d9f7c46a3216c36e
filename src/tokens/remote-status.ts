import { MAX_STATUS_LIST_BYTES } from "../lib/limits.ts";
import { cutoffsUri, isCutoffs, listOfUri } from "../oauth/status.ts";
import { decodeList } from "../oauth/status-list.ts";
import type { KeyLookup } from "./jwks-cache.ts";
import type { StatusSource } from "./status-check.ts";
import { CUTOFFS_TYP, STATUS_LIST_TYP, type StatusTokenType, verifyStatusToken } from "./status-token.ts";

/** A Service Binding to the token service, or anything that fetches like one (globalThis on Node). */
export type StatusFetcher = { fetch(url: string, init?: RequestInit): Promise<Response> };

/**
 * The status documents as anyone outside the service gets them: fetched from the issuer's own
 * URLs (draft-ietf-oauth-status-list §8.1), and trusted only as signed tokens of the issuer's
 * keys (§8.3). A list URI that is not one of the issuer's is never fetched: such a token is
 * rejected.
 */
export function remoteStatusSource(issuer: string, key: KeyLookup, fetcher: StatusFetcher): StatusSource {
  async function signed(uri: string, typ: StatusTokenType) {
    const response = await fetcher.fetch(uri, { headers: { Accept: `application/${typ}` } });
    if (response.status === 404) return null;
    if (!response.ok) throw new Error(`${uri} answered ${response.status}`);
    // Decoded by hand: workerd warns on text() of a body whose type (application/statuslist+jwt) is not text/*.
    const jwt = new TextDecoder().decode(await response.arrayBuffer());
    return verifyStatusToken(jwt, typ, (kid) => key(kid, { issuerDocument: true }), { issuer, subject: uri });
  }
  return {
    async list(uri) {
      if (listOfUri(issuer, uri) === undefined) return null;
      const claims = await signed(uri, STATUS_LIST_TYP);
      if (claims === null) return null;
      const value = await decodeList(claims.status_list, MAX_STATUS_LIST_BYTES);
      return { value, ttlSeconds: claims.ttl, expiresAt: claims.exp, issuedAt: revisionOf(claims) };
    },
    async cutoffs() {
      const claims = await signed(cutoffsUri(issuer), CUTOFFS_TYP);
      if (claims === null || !isCutoffs(claims.cutoffs)) throw new Error(`${cutoffsUri(issuer)} holds no cut-offs`);
      return { value: claims.cutoffs, ttlSeconds: claims.ttl, expiresAt: claims.exp, issuedAt: revisionOf(claims) };
    },
  };
}

/** When the document last changed, in ms: its `rev`, or from an issuer before `rev` its `iat`. */
const revisionOf = (claims: { iat: number; rev?: unknown }): number =>
  typeof claims.rev === "number" && Number.isSafeInteger(claims.rev) ? claims.rev : claims.iat * 1000;
