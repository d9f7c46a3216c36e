import { type Env, settings } from "../config/settings.ts";
import { revocationsKv } from "../store/bindings.ts";
import { kvRevocations } from "../store/revocations.ts";
import { keySet } from "./signing-keys.ts";
import { type VerifyOutcome, verifyAccessToken } from "./verify-access-token.ts";

export interface OwnTokenOptions {
  /**
   * The audiences to accept instead of this service's own. Default: AUDIENCE (or the issuer)
   * and every resource in RESOURCES, all of which this service issues tokens for.
   */
  audience?: string | readonly string[] | undefined;
  /** false: only AUDIENCE (or the issuer), as for a token used on this service itself. */
  resources?: boolean;
  /** Tokens for the admin API pass too (introspection, revocation). */
  acceptAdmin?: boolean;
}

/**
 * Verification of this service's own tokens, as the token service itself sees them: its own
 * key set, its settings, its REVOCATIONS namespace. Introspection, revocation, the RPC
 * entrypoint and the admin API all come through here.
 */
export async function verifyOwnToken(env: Env, token: unknown, o: OwnTokenOptions = {}): Promise<VerifyOutcome> {
  const keys = await keySet(env.SIGNING_KEYS);
  const s = settings(env);
  return verifyAccessToken(token, {
    key: (kid) => keys.verifiers.get(kid),
    issuer: s.issuer,
    audience: o.audience ?? s.audience,
    resources: o.audience === undefined && o.resources !== false ? s.resources : undefined,
    acceptAdmin: o.acceptAdmin,
    revocations: kvRevocations(revocationsKv(env), s.revocationCacheSeconds),
    verified: keys.verified,
  });
}
