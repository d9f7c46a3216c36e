import { base64url, compactVerify, decodeProtectedHeader } from "jose";
import { CLOCK_SKEW_SECONDS } from "../lib/limits.ts";
import { nowSeconds } from "../lib/time.ts";
import { isAlgorithm, type VerificationKey } from "./algorithms.ts";
import { isLowS } from "./low-s.ts";

/**
 * The signed status documents: a Status List Token (draft-ietf-oauth-status-list §5.1, `typ`
 * `statuslist+jwt`, its list in `status_list`) and the cut-offs token (`typ` `cutoffs+jwt`,
 * its document in `cutoffs`), signed with the service's signing key like its access tokens and
 * verified with the same JWKS. Each names what it is (`sub`, §5.1: the URI it was fetched from),
 * who made it (`iss`), when its content last changed (`iat`), how long to cache it (`ttl`, §13.7) and until when to rely
 * on a copy that cannot be refreshed (`exp`).
 */
export const STATUS_LIST_TYP = "statuslist+jwt";
export const CUTOFFS_TYP = "cutoffs+jwt";
export type StatusTokenType = typeof STATUS_LIST_TYP | typeof CUTOFFS_TYP;

export interface StatusTokenClaims {
  iss: string;
  sub: string;
  iat: number;
  exp: number;
  ttl: number;
  [claim: string]: unknown;
}

/**
 * A status token checked as §8.3 asks: a signature by one of the issuer's keys (the key decides
 * the algorithm; ES256 in low-S form only), its `typ`, `sub` equal to the URI it came from, `iss`
 * the issuer, `exp` not passed, `ttl` a positive number. Throws on anything else.
 */
export async function verifyStatusToken(
  jwt: string,
  typ: StatusTokenType,
  key: (kid: string) => VerificationKey | undefined | Promise<VerificationKey | undefined>,
  expected: { issuer: string; subject: string },
  now = nowSeconds(),
): Promise<StatusTokenClaims> {
  const header = decodeProtectedHeader(jwt);
  if (!isAlgorithm(header.alg) || typeof header.kid !== "string") throw new TypeError("status token: algorithm or kid not allowed");
  const k = await key(header.kid);
  if (!k || k.alg !== header.alg) throw new TypeError("status token: no such key for its algorithm");
  if (k.alg === "ES256" && !isLowS(base64url.decode(jwt.slice(jwt.lastIndexOf(".") + 1))))
    throw new TypeError("status token: bad signature");
  const { payload } = await compactVerify(jwt, k.key, { algorithms: [k.alg] });
  if (typeof header.typ !== "string" || ![typ, `application/${typ}`].includes(header.typ.toLowerCase())) {
    throw new TypeError(`status token: typ is not ${typ}`);
  }
  const c = JSON.parse(new TextDecoder().decode(payload)) as Partial<StatusTokenClaims>;
  if (c.sub !== expected.subject || c.iss !== expected.issuer) throw new TypeError("status token: not the document asked for");
  if (!Number.isFinite(c.iat) || !Number.isFinite(c.exp) || now >= c.exp! + CLOCK_SKEW_SECONDS)
    throw new TypeError("status token: expired");
  if (typeof c.ttl !== "number" || !(c.ttl > 0)) throw new TypeError("status token: ttl is not a positive number");
  return c as StatusTokenClaims;
}
