// Two recipes of docs/verifying-tokens.md, copied in as they are printed: /rpc/… goes to the
// Service Binding one, everything else to the itty-router one (the verifier in-process).
import itty from "./itty";
import rpc from "./rpc";

type Env = Parameters<typeof rpc.fetch>[1] & Parameters<typeof itty.fetch>[1];

export default {
  fetch(request: Request, env: Env, ctx: ExecutionContext): Promise<Response> {
    const url = new URL(request.url);
    if (!url.pathname.startsWith("/rpc/")) return itty.fetch(request, env, ctx);
    url.pathname = url.pathname.slice("/rpc".length);
    return rpc.fetch(new Request(url, request), env);
  },
};
