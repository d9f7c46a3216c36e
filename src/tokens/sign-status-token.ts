import { SignJWT } from "jose";
import { STATUS_MAX_STALE_SECONDS } from "../lib/limits.ts";
import { nowSeconds } from "../lib/time.ts";
import type { Signer } from "./algorithms.ts";
import { withLowS } from "./low-s.ts";
import type { StatusTokenType } from "./status-token.ts";

/**
 * A status document signed for its readers (tokens/status-token.ts says what each claim means).
 * A module of its own: the verifier that other Workers import checks these tokens and never
 * makes one, so it does not carry the signing.
 */
export async function signStatusToken(
  signer: Signer,
  typ: StatusTokenType,
  o: { issuer: string; subject: string; ttlSeconds: number; claims: Record<string, unknown>; changedAtMs?: number },
  now = nowSeconds(),
): Promise<string> {
  const jws = await new SignJWT({
    ...o.claims,
    iss: o.issuer,
    sub: o.subject,
    // When the registry last changed the document, not when this copy was signed: a verifier
    // keeps the newest it has taken, so an older document served anew (a copy put back in KV,
    // a cache on the way) cannot take a revocation back from it. `rev`, the same in ms: two
    // changes within a second are still told apart.
    iat: Math.min(o.changedAtMs === undefined ? now : Math.floor(o.changedAtMs / 1000), now),
    ...(o.changedAtMs === undefined ? {} : { rev: o.changedAtMs }),
    exp: now + STATUS_MAX_STALE_SECONDS,
    ttl: o.ttlSeconds,
  })
    .setProtectedHeader({ alg: signer.alg, kid: signer.kid, typ })
    .sign(signer.key);
  return signer.alg === "ES256" ? withLowS(jws) : jws;
}
