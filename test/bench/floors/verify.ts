/**
 * floor_verify: the least work checking a token needs, as a plain Worker answering like the
 * fixture consumer does. jose jwtVerify with the public key imported once, with the same claim
 * checks (algorithm, typ, iss, aud, exp/nbf with 30 s skew, the claims edge-token requires).
 * No revocation lookup, no JWKS cache, no log line: what is left over the module verifier is
 * what edge-token's verifier adds.
 */
import { importJWK, type JWK, jwtVerify } from "jose";

export interface Env {
  SIGNING_KEYS: string;
  ISSUER: string;
}

let publicKey: Promise<CryptoKey> | undefined;

/** The floor's check of a bearer token: the claims, or undefined. floor_verify_rpc makes it too. */
export async function verifyBearer(authorization: string | null, env: Env): Promise<Record<string, unknown> | undefined> {
  publicKey ??= (async () => {
    const { kty, crv, x } = (JSON.parse(env.SIGNING_KEYS) as { keys: JWK[] }).keys[0]!;
    return (await importJWK({ kty, crv, x }, "EdDSA")) as CryptoKey;
  })();
  const token = authorization?.slice("Bearer ".length) ?? "";
  try {
    const { payload } = await jwtVerify(token, await publicKey, {
      algorithms: ["EdDSA"],
      typ: "at+jwt",
      issuer: env.ISSUER,
      audience: env.ISSUER,
      clockTolerance: 30,
      requiredClaims: ["exp", "iat", "jti", "sub", "client_id", "scope", "grant_type"],
    });
    return payload;
  } catch {
    return undefined;
  }
}

export default {
  async fetch(request: Request, env: Env): Promise<Response> {
    const claims = await verifyBearer(request.headers.get("Authorization"), env);
    if (!claims) return new Response(null, { status: 401 });
    return Response.json({ client_id: claims.client_id, scope: claims.scope, path: new URL(request.url).pathname });
  },
};
