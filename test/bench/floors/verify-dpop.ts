/**
 * floor_verify_dpop: the least work checking a DPoP-bound token needs, as a plain Worker
 * answering like the fixture consumer does. The token as floor_verify checks it (jose
 * jwtVerify, public key imported once, the same claim checks); then the proof: its key imported
 * from its header, verified, typ/htm/htu/iat checked, ath = SHA-256 of the token, the key's
 * thumbprint = cnf.jkt. No revocation lookup, no replay memory, no JWKS cache, no log line.
 */
import { base64url, calculateJwkThumbprint, EmbeddedJWK, importJWK, type JWK, jwtVerify } from "jose";

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
    const token = request.headers.get("Authorization")?.slice("DPoP ".length) ?? "";
    const url = new URL(request.url);
    try {
      const { payload } = await jwtVerify(token, await publicKey, {
        algorithms: ["EdDSA"],
        typ: "at+jwt",
        issuer: env.ISSUER,
        audience: env.ISSUER,
        clockTolerance: 30,
        requiredClaims: ["exp", "iat", "jti", "sub", "client_id", "scope", "grant_type", "cnf"],
      });
      const { payload: proof, protectedHeader } = await jwtVerify(request.headers.get("DPoP") ?? "", EmbeddedJWK, {
        algorithms: ["EdDSA"],
        typ: "dpop+jwt",
        requiredClaims: ["iat", "jti"],
      });
      const ath = base64url.encode(new Uint8Array(await crypto.subtle.digest("SHA-256", new TextEncoder().encode(token))));
      const bound = (payload.cnf as { jkt?: string } | undefined)?.jkt;
      if (proof.htm !== request.method || proof.htu !== `${url.origin}${url.pathname}` || proof.ath !== ath)
        throw new Error("not this request");
      if ((await calculateJwkThumbprint(protectedHeader.jwk!)) !== bound) throw new Error("not this key");
      return Response.json({ client_id: payload.client_id, scope: payload.scope, path: url.pathname });
    } catch {
      return new Response(null, { status: 401 });
    }
  },
};
