type EdgeTokenEnv = import("../src/env.ts").Env;
declare namespace Cloudflare {
  interface Env extends EdgeTokenEnv {
    /** test/fixtures/consumer, a separate Worker bound to edge-token */
    CONSUMER: Fetcher;
    /** edge-token running as its own Worker, as the consumer sees it */
    EDGE_TOKEN: Fetcher;
  }
}
