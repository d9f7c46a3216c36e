import { acceptedUntil, KV_MIN_EXPIRATION_TTL_SECONDS, MAX_TOKEN_TTL_SECONDS } from "../lib/limits.ts";
import { nowSeconds } from "../lib/time.ts";
import { TtlCache } from "../lib/ttl-cache.ts";
import type { Kv } from "./kv.ts";
import { revokedClientKey, revokedTokenKey } from "./kv-keys.ts";

/** What a revocation lookup needs of a token. */
export interface RevocableToken {
  jti: string;
  client_id: string;
  iat: number;
  exp: number;
}

/**
 * What this isolate last read (or wrote) for a revocation key: the stored value, or null for
 * none. "None" is reused for the revocation cache time; a revocation written in this isolate
 * replaces it at once, and one written elsewhere is seen within that time (on top of KV's own
 * propagation). A revocation cannot be undone, so that answer is kept as long as the entry.
 */
const seen = new TtlCache<string | null>();

/**
 * Revokes one token. The entry lives as long as the token can pass a check anywhere (its exp
 * plus the clock skew, raised to KV's floor), so the list cleans itself up.
 */
export async function putTokenRevocation(kv: Pick<Kv, "put">, token: RevocableToken, now = nowSeconds()): Promise<void> {
  const key = revokedTokenKey(token.jti);
  const value = JSON.stringify({ client_id: token.client_id, revoked_at: now });
  const expiration = Math.max(acceptedUntil(token.exp), now + KV_MIN_EXPIRATION_TTL_SECONDS);
  await kv.put(key, value, { expiration });
  seen.set(key, value, (expiration - now) * 1000);
}

/** Far enough ahead that every token ever issued to the client was issued before it. */
export const ALL_TOKENS = 253_402_300_799; // 9999-12-31T23:59:59Z

/**
 * Writes a client-wide revocation as the registry holds it: every token of the client issued
 * at or before `notAfter` is revoked, as one entry. Only the registry writes these, and it
 * only ever raises them. The entry outlives the longest token any configuration can issue,
 * issued at `notAfter`; a deleted key's (ALL_TOKENS, whatever its iat) is kept for good: a
 * stale copy of the record may mint tokens for a while after the deletion, and client_ids are
 * never reused. A number rather than a marker, so verifiers of any version read it as
 * "issued before".
 */
export async function putClientRevocation(kv: Pick<Kv, "put">, clientId: string, notAfter: number): Promise<void> {
  const key = revokedClientKey(clientId);
  const value = String(notAfter);
  if (notAfter >= ALL_TOKENS) {
    await kv.put(key, value);
    seen.set(key, value, MAX_TOKEN_TTL_SECONDS * 1000);
    return;
  }
  const now = nowSeconds();
  const expiration = acceptedUntil(Math.max(notAfter, now) + MAX_TOKEN_TTL_SECONDS);
  await kv.put(key, value, { expiration });
  seen.set(key, value, (expiration - now) * 1000);
}

/**
 * What this isolate knows of a client-wide revocation the registry just raised: the isolate
 * that handled the change sees it at once, as it did when it wrote KV itself.
 */
export function rememberClientRevocation(clientId: string, notAfter: number): void {
  seen.set(revokedClientKey(clientId), String(notAfter), MAX_TOKEN_TTL_SECONDS * 1000);
}

/**
 * Both checks as one bulk read (one KV operation) of the keys this isolate has not seen within
 * `cacheSeconds`.
 */
export function kvRevocations(kv: Pick<Kv, "get">, cacheSeconds = 0): { isRevoked(token: RevocableToken): Promise<boolean> } {
  return {
    async isRevoked(claims) {
      const tokenKey = revokedTokenKey(claims.jti);
      const clientKey = revokedClientKey(claims.client_id);
      // With caching off, only a revocation seen here is reused (it cannot be undone).
      const known = (key: string) => {
        const v = seen.get(key);
        return cacheSeconds <= 0 && v === null ? undefined : v;
      };
      let token = known(tokenKey);
      if (typeof token === "string") return true;
      let client = known(clientKey);
      // Only what this isolate does not know is read: a new token of a known client is one read.
      const missing = [token === undefined ? tokenKey : "", client === undefined ? clientKey : ""].filter(Boolean);
      if (missing.length > 0) {
        const read = await kv.get(missing, "text");
        const ttlMs = cacheSeconds * 1000;
        if (token === undefined) {
          token = read.get(tokenKey) ?? null;
          // A revoked token's answer is final: keep it until the token could no longer pass anyway.
          seen.set(tokenKey, token, token === null ? ttlMs : (acceptedUntil(claims.exp) - nowSeconds()) * 1000);
        }
        if (client === undefined) {
          client = read.get(clientKey) ?? null;
          seen.set(clientKey, client, ttlMs);
        }
      }
      if (token !== null) return true;
      return client !== null && claims.iat <= Number(client);
    },
  };
}
