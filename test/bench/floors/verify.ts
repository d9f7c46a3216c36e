/**
 * floor_verify: the least work checking a token needs, as a plain Worker answering like the
 * fixture consumer does. jose jwtVerify with the public key imported once, with the same claim
 * checks (algorithm, typ, iss, aud, exp/nbf with 30 s skew, the claims edge-token requires).
 * No revocation lookup, no JWKS cache, no log line: what is left over the module verifier is
 * what edge-token's verifier adds.
 */
import { importJWK, type JWK, jwtVerify } from "jose";

interface Env {
  SIGNING_KEYS: string;
  ISSUER: string;
}

let publicKey: Promise<CryptoKey> | undefined;

export default {
  async fetch(request: Request, env: Env): Promise<Response> {
    publicKey ??= (async () => {
      const { kty, crv, x } = (JSON.parse(env.SIGNING_KEYS) as { keys: JWK[] }).keys[0]!;
      return (await importJWK({ kty, crv, x }, "EdDSA")) as CryptoKey;
    })();
    const token = request.headers.get("Authorization")?.slice("Bearer ".length) ?? "";
    try {
      const { payload } = await jwtVerify(token, await publicKey, {
        algorithms: ["EdDSA"],
        typ: "at+jwt",
        issuer: env.ISSUER,
        audience: env.ISSUER,
        clockTolerance: 30,
        requiredClaims: ["exp", "iat", "jti", "sub", "client_id", "scope", "grant_type"],
      });
      return Response.json({ client_id: payload.client_id, scope: payload.scope, path: new URL(request.url).pathname });
    } catch {
      return new Response(null, { status: 401 });
    }
  },
};
