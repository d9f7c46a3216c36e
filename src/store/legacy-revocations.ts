import { acceptedUntil, KV_MIN_EXPIRATION_TTL_SECONDS, MAX_TOKEN_TTL_SECONDS } from "../lib/limits.ts";
import { nowSeconds } from "../lib/time.ts";
import { ALL_TOKENS } from "../oauth/status.ts";
import type { Kv } from "./kv.ts";
import { revokedClientKey, revokedTokenKey } from "./kv-keys.ts";

/**
 * The revocation keys verifiers of earlier versions read (`jti:` and `client:` in
 * REVOCATIONS), still written so that a consumer Worker on an earlier `edge-token/verify` keeps
 * seeing revocations until it upgrades. This version reads neither: it checks status lists and
 * the cut-offs document (docs/storage.md). Only the registry writes them.
 */

/** One revoked token, kept until it could no longer pass a check (raised to KV's floor). */
export async function putTokenRevocation(
  kv: Pick<Kv, "put">,
  t: { jti: string; client_id: string; untilSeconds: number },
  now = nowSeconds(),
): Promise<void> {
  const expiration = Math.max(t.untilSeconds, now + KV_MIN_EXPIRATION_TTL_SECONDS);
  await kv.put(revokedTokenKey(t.jti), JSON.stringify({ client_id: t.client_id, revoked_at: now }), { expiration });
}

/**
 * A client-wide revocation as earlier verifiers read it: every token of the client issued at
 * or before `notAfter` (a time: they know no key versions). It outlives the longest token any
 * configuration can issue, issued at `notAfter`; a deleted key's (ALL_TOKENS) is kept for good.
 */
export async function putClientRevocation(kv: Pick<Kv, "put">, clientId: string, notAfter: number): Promise<void> {
  const key = revokedClientKey(clientId);
  if (notAfter >= ALL_TOKENS) return kv.put(key, String(notAfter));
  const expiration = acceptedUntil(Math.max(notAfter, nowSeconds()) + MAX_TOKEN_TTL_SECONDS);
  await kv.put(key, String(notAfter), { expiration });
}
