import { CLOCK_SKEW_SECONDS, DPOP_PROOF_MAX_AGE_SECONDS } from "../lib/limits.ts";
import { TtlCache } from "../lib/ttl-cache.ts";
import type { AccessTokenClaims } from "../oauth/claims.ts";
import { checkDpopProof, dpopHeader } from "./dpop-proof.ts";

/**
 * How an access token was presented with a request, and whether that presentation is enough:
 * a bearer token by `Authorization: Bearer` (RFC 6750), a DPoP-bound one only by
 * `Authorization: DPoP` with a proof for this request (RFC 9449 §7.1).
 */
export type PresentationFailure =
  /**
   * No token at all: no Authorization header, or only credentials of another scheme (RFC 6750
   * §3.1: the client may not know a token is needed, so the challenge carries no error code).
   */
  | "no_token"
  /** A DPoP-bound token without its proof: presented as Bearer, or with no DPoP header. */
  | "dpop_required"
  /** Its proof is not for this request, this token or this token's key, or was used before. */
  | "dpop_invalid"
  /** A bearer token presented with the DPoP scheme. */
  | "not_dpop_bound";

export interface PresentedToken {
  scheme: "Bearer" | "DPoP";
  token: string;
}

/**
 * Whether the request carries no access token: no Authorization header, or only credentials of a
 * scheme other than Bearer and DPoP. A Bearer or DPoP credential anywhere in it (its scheme
 * followed by a tab or a comma, or beside Basic credentials in either order: two headers arrive
 * joined by a comma) is a token sent wrongly, which is answered as an unusable token, not as none.
 */
export function carriesNoToken(request: Request): boolean {
  // The scheme ends wherever a character that cannot be part of it (RFC 9110 §5.6.2's tchar) follows.
  return !/(?:^|,)[ \t]*(?:Bearer|DPoP)(?![!#$%&'*+.^_`|~0-9A-Za-z-])/i.test(request.headers.get("Authorization") ?? "");
}

/** The token of `Authorization: Bearer …` or `Authorization: DPoP …`, or undefined. */
export function presentedToken(request: Request): PresentedToken | undefined {
  const m = /^(Bearer|DPoP)[ ]+([A-Za-z0-9\-._~+/]+=*)[ \t]*$/i.exec(request.headers.get("Authorization") ?? "");
  if (!m) return undefined;
  return { scheme: m[1]!.toLowerCase() === "dpop" ? "DPoP" : "Bearer", token: m[2]! };
}

/**
 * Proofs a verifier has accepted, by key and jti, for as long as a proof is accepted: a replay
 * within that window is refused. In memory: a replay is detected in the isolate that saw the
 * proof (docs/verifying-tokens.md).
 */
export class SeenProofs {
  readonly #seen = new TtlCache<true>(50_000);

  /** Whether this proof was seen before; records it when it was not. */
  firstUse(jkt: string, jti: string): boolean {
    const key = `${jkt} ${jti}`;
    if (this.#seen.get(key)) return false;
    this.#seen.set(key, true, (DPOP_PROOF_MAX_AGE_SECONDS + CLOCK_SKEW_SECONDS) * 1000);
    return true;
  }
}

/** What a verified token's presentation lacks, or undefined when it is enough. */
export async function presentationFailure(
  request: Request,
  presented: PresentedToken,
  claims: AccessTokenClaims,
  seen: SeenProofs,
): Promise<PresentationFailure | undefined> {
  const jkt = claims.cnf?.jkt;
  if (jkt === undefined) return presented.scheme === "DPoP" ? "not_dpop_bound" : undefined;
  if (presented.scheme !== "DPoP") return "dpop_required";
  const header = dpopHeader(request);
  if (header === undefined) return "dpop_required";
  if (header === "several") return "dpop_invalid";
  const proof = await checkDpopProof(header, { method: request.method, url: request.url, accessToken: presented.token });
  if (typeof proof === "string" || proof.jkt !== jkt || !seen.firstUse(proof.jkt, proof.jti)) return "dpop_invalid";
  return undefined;
}
