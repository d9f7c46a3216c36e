import { HttpError } from "../lib/errors.ts";
import { CLOCK_SKEW_SECONDS, DPOP_PROOF_MAX_AGE_SECONDS } from "../lib/limits.ts";
import type { ApplicationKey } from "../store/application-keys.ts";
import { type CheckedProof, checkDpopProof, DPOP_FAILURE_DETAIL, dpopHeader } from "../tokens/dpop-proof.ts";
import type { UseOnce } from "./client.ts";

/**
 * DPoP at the token endpoint (RFC 9449 §4.3, §5): a request with a DPoP header gets its proof
 * checked against this request (htm POST, htu the URL it was sent to) and its token bound to
 * the proof's key. Every failure is 400 invalid_dpop_proof in the reference's error shape.
 */
export async function tokenRequestProof(request: Request): Promise<CheckedProof | undefined> {
  const header = dpopHeader(request);
  if (header === undefined) return undefined;
  if (header === "several") throw invalidDpopProof(DPOP_FAILURE_DETAIL.several);
  const checked = await checkDpopProof(header, { method: request.method, url: request.url });
  if (typeof checked === "string") throw invalidDpopProof(DPOP_FAILURE_DETAIL[checked]);
  return checked;
}

/** The proof's jti, to be marked used in the client's ledger: unique within the proofs' window, across locations. */
export function proofUsedOnce(proof: CheckedProof): UseOnce {
  return {
    name: `dpop:${proof.jti}`,
    until: proof.iat + DPOP_PROOF_MAX_AGE_SECONDS + CLOCK_SKEW_SECONDS,
    reused: () => invalidDpopProof(DPOP_FAILURE_DETAIL.reused),
  };
}

/** A key with dpop_bound_access_tokens gets no token without a proof. */
export function assertProofIfRequired(client: ApplicationKey, proof: CheckedProof | undefined): void {
  if (client.dpop_bound_access_tokens && proof === undefined) throw invalidDpopProof(DPOP_FAILURE_DETAIL.required);
}

const invalidDpopProof = (detail: string) => new HttpError(400, "invalid_dpop_proof", detail);
