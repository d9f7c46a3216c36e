/**
 * floor_verify_rpc: the least work checking a token over a Service Binding needs, as the fixture
 * consumer's /rpc routes do it: the request handed to an RPC entrypoint of another Worker (here
 * this Worker's own, bound to itself), which checks the token as floor_verify does and answers
 * the claims; then the same JSON answer. No status check, no JWKS cache, no log line: what is left
 * over verify_rpc is what edge-token's TokenVerifier adds.
 */
import { WorkerEntrypoint } from "cloudflare:workers";
import { importJWK, type JWK, jwtVerify } from "jose";

interface Env {
  SIGNING_KEYS: string;
  ISSUER: string;
  FLOOR: Service<FloorVerifier>;
}

let publicKey: Promise<CryptoKey> | undefined;

export class FloorVerifier extends WorkerEntrypoint<Env> {
  async verifyRequest(request: Request): Promise<{ valid: true; claims: Record<string, unknown> } | { valid: false }> {
    publicKey ??= (async () => {
      const { kty, crv, x } = (JSON.parse(this.env.SIGNING_KEYS) as { keys: JWK[] }).keys[0]!;
      return (await importJWK({ kty, crv, x }, "EdDSA")) as CryptoKey;
    })();
    const token = request.headers.get("Authorization")?.slice("Bearer ".length) ?? "";
    try {
      const { payload } = await jwtVerify(token, await publicKey, {
        algorithms: ["EdDSA"],
        typ: "at+jwt",
        issuer: this.env.ISSUER,
        audience: this.env.ISSUER,
        clockTolerance: 30,
        requiredClaims: ["exp", "iat", "jti", "sub", "client_id", "scope", "grant_type"],
      });
      return { valid: true, claims: payload };
    } catch {
      return { valid: false };
    }
  }
}

export default {
  async fetch(request: Request, env: Env): Promise<Response> {
    const result = (await env.FLOOR.verifyRequest(request)) as { valid: boolean; claims?: Record<string, unknown> };
    if (!result.valid || !result.claims) return new Response(null, { status: 401 });
    return Response.json({ client_id: result.claims.client_id, scope: result.claims.scope, path: new URL(request.url).pathname });
  },
};
