import type { Env } from "./env.ts";
import { handle } from "./router.ts";

export type { Env } from "./env.ts";

export default {
  fetch: handle,
} satisfies ExportedHandler<Env>;
