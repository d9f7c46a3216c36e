import { type Env, settings } from "../env.ts";
import { revocationsKv } from "../store/bindings.ts";
import { kvRevocations } from "../store/revocations.ts";
import { keySet } from "./keys.ts";
import { verifyAccessToken, type VerifyOutcome } from "./verify.ts";

/**
 * Verification of this service's own tokens, as the token service itself sees them: its own
 * key set, its settings, its REVOCATIONS namespace. Introspection, revocation, the RPC
 * entrypoint and the admin API all come through here.
 */
export async function verifyOwnToken(env: Env, token: unknown): Promise<VerifyOutcome> {
  const keys = await keySet(env.SIGNING_KEYS);
  const s = settings(env);
  return verifyAccessToken(token, {
    key: (kid) => keys.verifiers.get(kid),
    issuer: s.issuer,
    audience: s.audience,
    revocations: kvRevocations(revocationsKv(env), s.revocationCacheSeconds),
    verified: keys.verified,
  });
}
