import type { Env } from "./config/settings.ts";
import { handle } from "./router.ts";

export type { Env } from "./config/settings.ts";
export { ClientLedger } from "./objects/client-ledger.ts";
export { Registry } from "./objects/registry.ts";
export { TokenVerifier } from "./rpc.ts";

export default {
  fetch: handle,
} satisfies ExportedHandler<Env>;
