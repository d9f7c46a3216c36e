/**
 * floor_verify_rpc: the least work checking a token over a Service Binding needs, as the fixture
 * consumer's /rpc routes do it: the request handed to an RPC entrypoint of another Worker (here
 * this Worker's own, bound to itself), which checks the token as floor_verify does and answers
 * the claims; then the same JSON answer. No status check, no JWKS cache, no log line: what is left
 * over verify_rpc is what edge-token's TokenVerifier adds.
 */
import { WorkerEntrypoint } from "cloudflare:workers";
import { type Env as FloorEnv, verifyBearer } from "./verify.ts";

interface Env extends FloorEnv {
  FLOOR: Service<FloorVerifier>;
}

export class FloorVerifier extends WorkerEntrypoint<Env> {
  async verifyRequest(request: Request): Promise<{ valid: boolean; claims?: Record<string, unknown> }> {
    const claims = await verifyBearer(request.headers.get("Authorization"), this.env);
    return claims ? { valid: true, claims } : { valid: false };
  }
}

export default {
  async fetch(request: Request, env: Env): Promise<Response> {
    const result = (await env.FLOOR.verifyRequest(request)) as { valid: boolean; claims?: Record<string, unknown> };
    if (!result.valid || !result.claims) return new Response(null, { status: 401 });
    return Response.json({ client_id: result.claims.client_id, scope: result.claims.scope, path: new URL(request.url).pathname });
  },
};
