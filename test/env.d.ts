type EdgeTokenEnv = import("../src/env.ts").Env;
declare namespace Cloudflare {
  interface Env extends EdgeTokenEnv {}
}
