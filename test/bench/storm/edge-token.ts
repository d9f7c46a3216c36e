/**
 * edge-token for the revocation-storm bench (test/bench/storm.ts), unchanged but for one thing:
 * a request carrying `x-bench-new-lease` first has the isolate forget its status-list range, so
 * its token takes a new lease from the region's status object, as an isolate's first token does
 * (and, later, one in 64 to 4,096). What is measured is that lease's round trip while the same
 * object takes a storm of revocations.
 */
import worker, { type Env } from "../../../src/index.ts";
import { dropHeldIndices } from "../../../src/tokens/status-index.ts";

export { ClientLedger, Registry, StatusRegion, TokenVerifier } from "../../../src/index.ts";

export default {
  fetch(request: Request, env: Env, ctx: ExecutionContext) {
    if (request.headers.has("x-bench-new-lease")) dropHeldIndices();
    return worker.fetch(request, env, ctx);
  },
} satisfies ExportedHandler<Env>;
