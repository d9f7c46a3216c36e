import { type Env, settings } from "../env.ts";
import { revocationsKv } from "../store/bindings.ts";
import { kvRevocations } from "../store/revocations.ts";
import { keySet } from "./keys.ts";
import { type RevocationChecker, verifyAccessToken, type VerifyOutcome } from "./verify.ts";

/**
 * Verification of this service's own tokens, as the token service itself sees them: its own
 * key set, its settings, its REVOCATIONS namespace. Introspection, revocation, the RPC
 * entrypoint and the admin API all come through here.
 */
// One checker per namespace binding and cache time, not one per request.
const checkers = new WeakMap<object, Map<number, RevocationChecker>>();
function revocationChecker(env: Env, cacheSeconds: number): RevocationChecker {
  let byTtl = checkers.get(env.REVOCATIONS);
  if (!byTtl) checkers.set(env.REVOCATIONS, (byTtl = new Map()));
  let checker = byTtl.get(cacheSeconds);
  if (!checker) byTtl.set(cacheSeconds, (checker = kvRevocations(revocationsKv(env), cacheSeconds)));
  return checker;
}

export async function verifyOwnToken(env: Env, token: unknown): Promise<VerifyOutcome> {
  const keys = await keySet(env.SIGNING_KEYS);
  const s = settings(env);
  return verifyAccessToken(token, {
    key: (kid) => keys.verifiers.get(kid),
    issuer: s.issuer,
    audience: s.audience,
    revocations: revocationChecker(env, s.revocationCacheSeconds),
    verified: keys.verified,
  });
}
