/** edge-token with its KV bindings counted; GET /__kv answers the counts since the last ask. */
import worker, { type Env, TokenVerifier as Verifier } from "../../../src/index.ts";
import { countedEnv, takeCounts } from "./kv.ts";

const BINDINGS = ["CLIENTS", "REVOCATIONS"] as const;

export default {
  fetch(request: Request, env: Env, ctx: ExecutionContext) {
    if (new URL(request.url).pathname === "/__kv") return takeCounts();
    return worker.fetch(request, countedEnv(env, BINDINGS), ctx);
  },
} satisfies ExportedHandler<Env>;

export class TokenVerifier extends Verifier {
  constructor(ctx: ExecutionContext, env: Env) {
    super(ctx, countedEnv(env, BINDINGS));
  }
}
