/**
 * edge-token as a second Cloudflare location sees it: the same code in a Worker of its own (so
 * its own isolate caches), whose KV reads may lag. POST /__lag with {"CLIENTS":[keys],
 * "REVOCATIONS":[keys]} freezes what those keys read as, from now on, as a location whose KV
 * cache holds the old values does; a binding given an empty list catches up, one left out stays
 * as it was. Writes go through to the real
 * namespaces, and a key this location writes reads back as written (KV is read-your-writes
 * within a location). POST /__fail with {"paths":[prefixes]} makes requests to those paths
 * answer 503, as a location that cannot serve them would (an empty list: none). Test-only: this
 * file is bundled for the tests, never deployed.
 */
import worker from "../../src/index.ts";
import { TokenVerifier as Verifier } from "../../src/rpc.ts";

export * from "../../src/index.ts";

type Binding = "CLIENTS" | "REVOCATIONS";
const frozen: Record<Binding, Map<string, string | null>> = { CLIENTS: new Map(), REVOCATIONS: new Map() };
let failing: string[] = [];

function lagging(kv: KVNamespace, snapshot: Map<string, string | null>): KVNamespace {
  const read = (key: string, type?: string) => {
    const value = snapshot.get(key)!;
    return value === null || type !== "json" ? value : JSON.parse(value);
  };
  const view = {
    async get(key: string | string[], type?: "text" | "json") {
      if (Array.isArray(key)) {
        const live = key.filter((k) => !snapshot.has(k));
        const fresh: Map<string, unknown> = live.length > 0 ? await kv.get(live, (type ?? "text") as "text") : new Map();
        return new Map(key.map((k) => [k, snapshot.has(k) ? read(k, type) : (fresh.get(k) ?? null)]));
      }
      return snapshot.has(key) ? read(key, type) : kv.get(key, (type ?? "text") as "text");
    },
    async put(key: string, value: string, options?: KVNamespacePutOptions) {
      snapshot.delete(key);
      return kv.put(key, value, options);
    },
    async delete(key: string) {
      snapshot.delete(key);
      return kv.delete(key);
    },
    list: (options?: KVNamespaceListOptions) => kv.list(options),
    getWithMetadata: (key: string) => kv.getWithMetadata(key),
  };
  return view as unknown as KVNamespace;
}

/** The KV this location reads: the real namespaces, with the frozen keys lagging. */
const view = (env: Cloudflare.Env): Cloudflare.Env => ({
  ...env,
  CLIENTS: lagging(env.CLIENTS, frozen.CLIENTS),
  REVOCATIONS: lagging(env.REVOCATIONS, frozen.REVOCATIONS),
});

/** The RPC entrypoint as this location runs it: over the lagging view too. */
export class TokenVerifier extends Verifier {
  constructor(ctx: ExecutionContext, env: Cloudflare.Env) {
    super(ctx, view(env));
  }
}

export default {
  async fetch(request: Request, env: Cloudflare.Env, ctx: ExecutionContext): Promise<Response> {
    const { pathname } = new URL(request.url);
    if (pathname === "/__fail") {
      failing = ((await request.json()) as { paths: string[] }).paths;
      return new Response(null, { status: 204 });
    }
    if (failing.some((prefix) => pathname.startsWith(prefix))) return new Response("unavailable (injected)", { status: 503 });
    if (pathname === "/__lag") {
      const keys = (await request.json()) as Partial<Record<Binding, string[]>>;
      for (const binding of ["CLIENTS", "REVOCATIONS"] as const) {
        if (keys[binding] === undefined) continue;
        frozen[binding].clear();
        for (const key of keys[binding] ?? []) frozen[binding].set(key, await env[binding].get(key));
      }
      return new Response(null, { status: 204 });
    }
    return worker.fetch(request, view(env), ctx);
  },
} satisfies ExportedHandler<Cloudflare.Env>;
