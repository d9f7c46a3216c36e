import { base64url } from "jose";
import { nowSeconds } from "../lib/time.ts";
import { type AccessTokenClaims, type Grant, type StatusListReference, TOKEN_TYPE_HEADER } from "../oauth/claims.ts";
import type { Signer } from "./algorithms.ts";
import { withLowS } from "./low-s.ts";

export interface IssueOptions {
  issuer: string;
  audience: string | string[];
  ttlSeconds: number;
  clientId: string;
  grant: Grant;
  /** The granted scope, formatted (see policy/grant.ts). */
  scope: string;
  /** epoch seconds; injectable for tests */
  now?: number;
  /** The DPoP key's thumbprint the token is bound to (RFC 9449), if any. */
  jkt?: string | undefined;
  /** The version of the key record it is minted from (the `key_version` claim); the token endpoint always says. */
  keyVersion?: number | undefined;
  /** Its place in a status list (the `status` claim, draft-ietf-oauth-status-list §6.2); the token endpoint always says. */
  status?: StatusListReference | undefined;
}

export interface IssuedToken {
  token: string;
  claims: AccessTokenClaims;
}

/**
 * The token as a compact JWS (RFC 7515 §7.1), made here rather than by jose's SignJWT: the same
 * bytes (the header's members alg, kid, typ and the claims, each serialised by JSON.stringify
 * in that order, base64url without padding) for a fraction of the work a fresh isolate does on
 * its first tokens (jose clones the claims, checks and merges headers, and goes through five
 * async steps before the one signature). The signature is the runtime's: Ed25519, or ECDSA
 * P-256 with SHA-256 in its IEEE P1363 form (r ‖ s), put in low-S form.
 */
export async function signAccessToken(signer: Signer, o: IssueOptions): Promise<IssuedToken> {
  const iat = o.now ?? nowSeconds();
  const claims: AccessTokenClaims = {
    iss: o.issuer,
    sub: o.clientId,
    aud: o.audience,
    exp: iat + o.ttlSeconds,
    iat,
    jti: base64url.encode(crypto.getRandomValues(new Uint8Array(16))),
    client_id: o.clientId,
    scope: o.scope,
    grant_type: o.grant,
  };
  // In this order: the payload's members are serialised as they were set.
  if (o.jkt !== undefined) claims.cnf = { jkt: o.jkt };
  if (o.keyVersion !== undefined) claims.key_version = o.keyVersion;
  if (o.status !== undefined) claims.status = { status_list: o.status };
  const input = `${protectedHeader(signer)}.${base64url.encode(JSON.stringify(claims))}`;
  const signature = new Uint8Array(await crypto.subtle.sign(SIGNING[signer.alg], signer.key, encoder.encode(input)));
  const jws = `${input}.${base64url.encode(signature)}`;
  return { token: signer.alg === "ES256" ? withLowS(jws) : jws, claims };
}

const encoder = new TextEncoder();
/** WebCrypto's parameters for each algorithm's signature, as jose passes them. */
const SIGNING = { EdDSA: { name: "Ed25519" }, ES256: { name: "ECDSA", hash: "SHA-256" } } as const;

/** The encoded protected header of each signer: one per key, made once. */
const headers = new WeakMap<Signer, string>();
function protectedHeader(signer: Signer): string {
  let h = headers.get(signer);
  if (h === undefined) {
    h = base64url.encode(JSON.stringify({ alg: signer.alg, kid: signer.kid, typ: TOKEN_TYPE_HEADER }));
    headers.set(signer, h);
  }
  return h;
}
