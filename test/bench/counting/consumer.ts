/** The fixture consumer (it binds no KV: its status documents come through EDGE_TOKEN); GET /__kv answers the counts. */
import consumer from "../../fixtures/consumer/index.ts";
import { takeCounts } from "./kv.ts";

type ConsumerEnv = Parameters<typeof consumer.fetch>[1];

export default {
  fetch(request: Request, env: ConsumerEnv) {
    if (new URL(request.url).pathname === "/__kv") return takeCounts();
    return consumer.fetch(request, env);
  },
};
