import { MAX_TOKEN_TTL_SECONDS } from "../tokens/claims.ts";
import type { AccessTokenClaims } from "../tokens/claims.ts";
import { CLOCK_SKEW_SECONDS, type RevocationChecker } from "../tokens/verify.ts";
import { KV_MIN_EXPIRATION_TTL_SECONDS, revokedClientKey, revokedTokenKey } from "./keys.ts";
import type { Kv } from "./kv.ts";

const nowSeconds = () => Math.floor(Date.now() / 1000);

/**
 * Revokes one token. The entry expires with the token (raised to KV's floor), so the list
 * cleans itself up: once the token has expired, `exp` refuses it anyway.
 */
export async function revokeToken(kv: Pick<Kv, "put">, claims: AccessTokenClaims, now = nowSeconds()): Promise<void> {
  await kv.put(revokedTokenKey(claims.jti), JSON.stringify({ client_id: claims.client_id, revoked_at: now }), {
    expiration: Math.max(claims.exp, now + KV_MIN_EXPIRATION_TTL_SECONDS),
  });
}

/**
 * Revokes every token of a client issued at or before `now`, as one entry. It must outlive
 * the longest token any configuration can issue, so it expires after the maximum TTL.
 */
export async function revokeClient(kv: Pick<Kv, "put">, clientId: string, now = nowSeconds()): Promise<void> {
  await kv.put(revokedClientKey(clientId), String(now), {
    expiration: now + MAX_TOKEN_TTL_SECONDS + CLOCK_SKEW_SECONDS,
  });
}

/** Both checks read in parallel: one round trip per verification. */
export function kvRevocations(kv: Pick<Kv, "get">): RevocationChecker {
  return {
    async isRevoked(claims) {
      const [token, client] = await Promise.all([kv.get(revokedTokenKey(claims.jti)), kv.get(revokedClientKey(claims.client_id))]);
      if (token !== null) return true;
      return client !== null && claims.iat <= Number(client);
    },
  };
}
