import type { AccessTokenClaims } from "./claims.ts";
import type { FailureCode, VerifyOutcome } from "./verify.ts";

/** What every verification path returns to its caller (RPC, importable module). */
export type VerifyResult =
  | { valid: true; claims: AccessTokenClaims }
  | { valid: false; status: 401 | 403; error: FailureCode | "read_only" };

/** The request a token is about to be used for, when the caller wants access checked too. */
export interface RequestInfo {
  method: string;
  path?: string;
}

const SAFE_METHODS = new Set(["GET", "HEAD", "OPTIONS"]);

/** A read-only token (no `write` scope: the implicit grant) may only read. */
export function canWrite(claims: AccessTokenClaims): boolean {
  return claims.scope.split(" ").includes("write");
}

/** Turns a verification outcome into a result, and applies the read-only rule when a request is given. */
export function toResult(outcome: VerifyOutcome, request?: RequestInfo): VerifyResult {
  if (!outcome.ok) return { valid: false, status: 401, error: outcome.code };
  const method = typeof request?.method === "string" ? request.method.toUpperCase() : undefined;
  if (method !== undefined && !SAFE_METHODS.has(method) && !canWrite(outcome.claims)) {
    return { valid: false, status: 403, error: "read_only" };
  }
  return { valid: true, claims: outcome.claims };
}
