import { base64url, SignJWT } from "jose";
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
    ...(o.jkt === undefined ? {} : { cnf: { jkt: o.jkt } }),
    ...(o.keyVersion === undefined ? {} : { key_version: o.keyVersion }),
    ...(o.status === undefined ? {} : { status: { status_list: o.status } }),
  };
  const jws = await new SignJWT({ ...claims })
    .setProtectedHeader({ alg: signer.alg, kid: signer.kid, typ: TOKEN_TYPE_HEADER })
    .sign(signer.key);
  return { token: signer.alg === "ES256" ? withLowS(jws) : jws, claims };
}
