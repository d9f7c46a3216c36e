/**
 * edge-token with its KV bindings and Durable Object requests counted, the registry's own KV
 * writes (its write-through) included; GET /__kv answers the counts since the last ask.
 */
import worker, {
  Registry as BaseRegistry,
  StatusRegion as BaseStatusRegion,
  type Env,
  TokenVerifier as Verifier,
} from "../../../src/index.ts";
import { countedEnv, takeCounts } from "./kv.ts";

export { ClientLedger } from "../../../src/index.ts";

const KV = ["CLIENTS", "REVOCATIONS"] as const;
const OBJECTS = ["REGISTRY", "CLIENT_LEDGER", "STATUS_REGIONS"] as const;

export default {
  fetch(request: Request, env: Env, ctx: ExecutionContext) {
    if (new URL(request.url).pathname === "/__kv") return takeCounts();
    return worker.fetch(request, countedEnv(env, KV, OBJECTS), ctx);
  },
} satisfies ExportedHandler<Env>;

export class TokenVerifier extends Verifier {
  constructor(ctx: ExecutionContext, env: Env) {
    super(ctx, countedEnv(env, KV, OBJECTS));
  }
}

export class Registry extends BaseRegistry {
  constructor(ctx: DurableObjectState, env: Env) {
    super(ctx, countedEnv(env, KV, OBJECTS));
  }
}

export class StatusRegion extends BaseStatusRegion {
  constructor(ctx: DurableObjectState, env: Env) {
    super(ctx, countedEnv(env, KV, OBJECTS));
  }
}
