import type { Env } from "./config/settings.ts";
import { runSchedule } from "./handlers/scheduled.ts";
import { handle } from "./router.ts";

export type { Env } from "./config/settings.ts";
export { ClientLedger } from "./objects/client-ledger.ts";
export { Registry } from "./objects/registry.ts";
export { StatusRegion } from "./objects/status-region.ts";
export { TokenVerifier } from "./rpc.ts";

export default {
  fetch: handle,
  scheduled: runSchedule,
} satisfies ExportedHandler<Env>;
