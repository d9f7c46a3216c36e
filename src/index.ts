import type { Env } from "./env.ts";
import { handle } from "./router.ts";

export type { Env } from "./env.ts";
export { TokenVerifier } from "./rpc.ts";

export default {
  fetch: handle,
} satisfies ExportedHandler<Env>;
