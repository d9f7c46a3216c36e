type EdgeTokenEnv = import("../src/env.ts").Env;
declare namespace Cloudflare {
  interface Env extends EdgeTokenEnv {
    /** test/fixtures/consumer, a separate Worker bound to edge-token */
    CONSUMER: Fetcher;
    /** edge-token running as its own Worker, as the consumer sees it */
    EDGE_TOKEN: Fetcher;
  }
}

// Vite's ?raw: a file's text (the recipes test compares them with the README).
declare module "*?raw" {
  const text: string;
  export default text;
}
