/**
 * KV operations counted as Cloudflare bills them: a read per key (a bulk get of two keys is
 * two reads), a write per put, a delete per delete, a list per list call; and Durable Object
 * requests, one per RPC method call on a stub (each is its own billed request), per binding:
 * the registry, the regions' status objects and the client ledgers are each their own object,
 * and which of them a request asks is what the capacity model is about.
 */
export interface KvCounts {
  reads: number;
  writes: number;
  deletes: number;
  lists: number;
  /** Durable Object requests by the binding the stub came from (REGISTRY, STATUS_REGIONS, CLIENT_LEDGER). */
  objects: Record<string, number>;
}

const counts: KvCounts = { reads: 0, writes: 0, deletes: 0, lists: 0, objects: {} };

function counted(kv: KVNamespace): KVNamespace {
  return new Proxy(kv, {
    get(target, prop) {
      const value = Reflect.get(target, prop, target) as unknown;
      if (typeof value !== "function") return value;
      return (...args: unknown[]) => {
        if (prop === "get" || prop === "getWithMetadata") counts.reads += Array.isArray(args[0]) ? args[0].length : 1;
        else if (prop === "put") counts.writes++;
        else if (prop === "delete") counts.deletes++;
        else if (prop === "list") counts.lists++;
        return (value as (...a: unknown[]) => unknown).apply(target, args);
      };
    },
  });
}

/** A namespace whose stubs count every method call made on them, under `binding`. */
function countedObjects(ns: DurableObjectNamespace, binding: string): DurableObjectNamespace {
  const stub = (s: object) =>
    new Proxy(s, {
      get(target, prop) {
        const value = Reflect.get(target, prop, target) as unknown;
        if (typeof value !== "function") return value;
        return (...args: unknown[]) => {
          counts.objects[binding] = (counts.objects[binding] ?? 0) + 1;
          // An RPC method is a proxy too: its own .apply would be a remote call.
          return Reflect.apply(value as (...a: unknown[]) => unknown, target, args);
        };
      },
    });
  return new Proxy(ns, {
    get(target, prop) {
      const value = Reflect.get(target, prop, target) as unknown;
      if (typeof value !== "function") return value;
      if (prop === "get" || prop === "getByName")
        return (...args: unknown[]) => stub(Reflect.apply(value as (...a: unknown[]) => object, target, args));
      return (value as (...a: unknown[]) => unknown).bind(target);
    },
  });
}

// One wrapped env per real one, so per-isolate caches keyed by the env keep working.
const wrapped = new WeakMap<object, object>();

export function countedEnv<E extends object>(env: E, kv: readonly (keyof E)[], objects: readonly (keyof E)[] = []): E {
  let w = wrapped.get(env) as E | undefined;
  if (!w) {
    w = { ...env };
    for (const b of kv) (w as Record<keyof E, unknown>)[b] = counted(env[b] as KVNamespace);
    for (const b of objects) {
      if (env[b]) (w as Record<keyof E, unknown>)[b] = countedObjects(env[b] as unknown as DurableObjectNamespace, String(b));
    }
    wrapped.set(env, w);
  }
  return w;
}

/** The counts since the last call, then zero. */
export function takeCounts(): Response {
  const body = JSON.stringify(counts);
  counts.reads = counts.writes = counts.deletes = counts.lists = 0;
  counts.objects = {};
  return new Response(body, { headers: { "Content-Type": "application/json" } });
}
