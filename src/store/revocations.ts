import { MAX_TOKEN_TTL_SECONDS } from "../tokens/claims.ts";
import type { AccessTokenClaims } from "../tokens/claims.ts";
import { CLOCK_SKEW_SECONDS, type RevocationChecker } from "../tokens/verify.ts";
import { KV_MIN_EXPIRATION_TTL_SECONDS, revokedClientKey, revokedTokenKey } from "./keys.ts";
import type { Kv } from "./kv.ts";
import { TtlCache } from "./ttl-cache.ts";

const nowSeconds = () => Math.floor(Date.now() / 1000);

/**
 * What this isolate last read (or wrote) for a revocation key: the stored value, or null for
 * none. "None" is reused for the revocation cache time; a revocation written in this isolate
 * replaces it at once, and one written elsewhere is seen within that time (on top of KV's own
 * propagation). A revoked token stays revoked, so that answer is kept until the token expires.
 */
const seen = new TtlCache<string | null>();
const REVOKED_KEEP_MS = MAX_TOKEN_TTL_SECONDS * 1000;

/**
 * Revokes one token. The entry expires with the token (raised to KV's floor), so the list
 * cleans itself up: once the token has expired, `exp` refuses it anyway.
 */
export async function revokeToken(kv: Pick<Kv, "put">, claims: AccessTokenClaims, now = nowSeconds()): Promise<void> {
  const key = revokedTokenKey(claims.jti);
  const value = JSON.stringify({ client_id: claims.client_id, revoked_at: now });
  await kv.put(key, value, { expiration: Math.max(claims.exp, now + KV_MIN_EXPIRATION_TTL_SECONDS) });
  seen.set(key, value, REVOKED_KEEP_MS);
}

/**
 * Revokes every token of a client issued at or before `notAfter`, as one entry. It must
 * outlive the longest token any configuration can issue, so it expires after the maximum TTL.
 */
export async function revokeClient(kv: Pick<Kv, "put">, clientId: string, notAfter = nowSeconds()): Promise<void> {
  const key = revokedClientKey(clientId);
  await kv.put(key, String(notAfter), {
    expiration: Math.max(notAfter, nowSeconds()) + MAX_TOKEN_TTL_SECONDS + CLOCK_SKEW_SECONDS,
  });
  seen.set(key, String(notAfter), REVOKED_KEEP_MS);
}

/**
 * Both checks as one bulk read (one KV operation), skipped for what this isolate has seen
 * within `cacheSeconds`.
 */
export function kvRevocations(kv: Pick<Kv, "get">, cacheSeconds = 0): RevocationChecker {
  return {
    async isRevoked(claims) {
      const tokenKey = revokedTokenKey(claims.jti);
      const clientKey = revokedClientKey(claims.client_id);
      // With caching off, only a revocation seen here is reused (it cannot be undone).
      let token = seen.get(tokenKey);
      let client = seen.get(clientKey);
      if (cacheSeconds <= 0) {
        if (token === null) token = undefined;
        if (client === null) client = undefined;
      }
      if (token === undefined || client === undefined) {
        const read = await kv.get([tokenKey, clientKey], "text");
        token = read.get(tokenKey) ?? null;
        client = read.get(clientKey) ?? null;
        const ttlMs = cacheSeconds * 1000;
        seen.set(tokenKey, token, token === null ? ttlMs : REVOKED_KEEP_MS);
        seen.set(clientKey, client, ttlMs);
      }
      if (token !== null) return true;
      return client !== null && claims.iat <= Number(client);
    },
  };
}
