import { base64url, calculateJwkThumbprint, compactVerify, decodeProtectedHeader, type JWK } from "jose";
import { CLOCK_SKEW_SECONDS, DPOP_PROOF_MAX_AGE_SECONDS } from "../lib/limits.ts";
import { sha256 } from "../lib/sha256.ts";
import { nowSeconds } from "../lib/time.ts";
import { type ClientJwk, clientJwk, importClientKey, jwsAlgorithmsFor } from "./client-keys.ts";

/** The longest proof accepted: a proof is a small JWT with one public key in its header. */
const MAX_PROOF_LENGTH = 4096;

export type DpopFailure =
  | "malformed"
  | "wrong_typ"
  | "alg_not_allowed"
  | "bad_key"
  | "bad_signature"
  | "wrong_method"
  | "wrong_url"
  | "stale"
  | "no_jti"
  | "wrong_ath";

export interface CheckedProof {
  /** RFC 7638 SHA-256 thumbprint of the proof's key: the token's `cnf.jkt`. */
  jkt: string;
  jti: string;
  iat: number;
}

export interface ProofExpectations {
  /** The request's method and URL (its query and fragment are not part of `htu`). */
  method: string;
  url: string;
  /** For a resource request: the access token the proof must be bound to (`ath`). */
  accessToken?: string;
  now?: number;
}

/** The one DPoP header of a request: undefined when there is none, "several" when there are more. */
export function dpopHeader(request: Request): string | undefined | "several" {
  const value = request.headers.get("DPoP");
  if (value === null) return undefined;
  // Headers given more than once are joined with ", "; a compact JWS has no comma.
  return value.includes(",") ? "several" : value.trim();
}

export async function checkDpopProof(proof: string, expect: ProofExpectations): Promise<CheckedProof | DpopFailure> {
  if (proof.length > MAX_PROOF_LENGTH || !/^[A-Za-z0-9_-]+\.[A-Za-z0-9_-]+\.[A-Za-z0-9_-]+$/.test(proof)) return "malformed";
  let header: ReturnType<typeof decodeProtectedHeader>;
  try {
    header = decodeProtectedHeader(proof);
  } catch {
    return "malformed";
  }
  if (header.typ !== "dpop+jwt") return "wrong_typ";
  // RFC 9449's jwk need not name its alg (oauth4webapi's does not): an RSA key in a PS256 proof
  // is one for PS256, the one RSA algorithm taken. A registered key must still name it.
  const rsaUnnamed = header.alg === "PS256" && header.jwk?.kty === "RSA" && header.jwk.alg === undefined;
  const key = clientJwk(rsaUnnamed ? { ...header.jwk, alg: "PS256" } : header.jwk);
  if (typeof key === "string") return "bad_key";
  const algorithms = jwsAlgorithmsFor(key.alg);
  if (!algorithms.includes(header.alg as string)) return "alg_not_allowed";

  let payload: Record<string, unknown>;
  try {
    const verified = await compactVerify(proof, await importClientKey(key), { algorithms });
    payload = JSON.parse(new TextDecoder().decode(verified.payload)) as Record<string, unknown>;
  } catch {
    return "bad_signature";
  }
  if (typeof payload !== "object" || payload === null) return "malformed";
  if (payload.htm !== expect.method) return "wrong_method";
  if (!sameTarget(payload.htu, expect.url)) return "wrong_url";
  const now = expect.now ?? nowSeconds();
  const iat = payload.iat;
  if (typeof iat !== "number" || iat > now + CLOCK_SKEW_SECONDS || iat < now - DPOP_PROOF_MAX_AGE_SECONDS) return "stale";
  if (typeof payload.jti !== "string" || payload.jti === "" || payload.jti.length > 256) return "no_jti";
  if (expect.accessToken !== undefined) {
    const ath = base64url.encode(await sha256(expect.accessToken));
    if (payload.ath !== ath) return "wrong_ath";
  }
  return { jkt: await thumbprint(key), jti: payload.jti, iat };
}

/** htu: the request's URL without query and fragment, compared after URL normalisation. */
function sameTarget(htu: unknown, url: string): boolean {
  if (typeof htu !== "string" || !URL.canParse(htu)) return false;
  const claimed = new URL(htu);
  const actual = new URL(url);
  return claimed.search === "" && claimed.hash === "" && claimed.origin === actual.origin && claimed.pathname === actual.pathname;
}

const thumbprint = (key: ClientJwk) => calculateJwkThumbprint(key as JWK, "sha256");

/** What a client is told about its proof: which check failed, never what it sent. */
export const DPOP_FAILURE_DETAIL: Record<DpopFailure | "several" | "reused" | "required", string> = {
  malformed: "The DPoP proof is not a well-formed JWT.",
  wrong_typ: 'The DPoP proof\'s typ must be "dpop+jwt".',
  alg_not_allowed: "The DPoP proof's alg must be its key's: EdDSA (or Ed25519), ES256 or PS256.",
  bad_key: "The DPoP proof's jwk must be a public Ed25519 or P-256 key, or an RSA (PS256) key of 2048 to 4096 bits with e = 65537.",
  bad_signature: "The DPoP proof's signature does not verify with its jwk.",
  wrong_method: "The DPoP proof's htm is not this request's method.",
  wrong_url: "The DPoP proof's htu is not this request's URL without query and fragment.",
  stale: "The DPoP proof's iat is outside the window this service accepts.",
  no_jti: "The DPoP proof has no jti.",
  wrong_ath: "The DPoP proof's ath is not the hash of this access token.",
  several: "Send exactly one DPoP header.",
  reused: "This DPoP proof was used before.",
  required: "This key's tokens are DPoP-bound: send a DPoP proof.",
};
