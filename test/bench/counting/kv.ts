/**
 * KV operations counted as Cloudflare bills them: a read per key (a bulk get of two keys is
 * two reads), a write per put, a delete per delete, a list per list call.
 */
export interface KvCounts {
  reads: number;
  writes: number;
  deletes: number;
  lists: number;
}

const counts: KvCounts = { reads: 0, writes: 0, deletes: 0, lists: 0 };

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

// One wrapped env per real one, so per-isolate caches keyed by the env keep working.
const wrapped = new WeakMap<object, object>();

export function countedEnv<E extends object>(env: E, bindings: readonly (keyof E)[]): E {
  let w = wrapped.get(env) as E | undefined;
  if (!w) {
    w = { ...env };
    for (const b of bindings) (w as Record<keyof E, unknown>)[b] = counted(env[b] as KVNamespace);
    wrapped.set(env, w);
  }
  return w;
}

/** The counts since the last call, then zero. */
export function takeCounts(): Response {
  const body = JSON.stringify(counts);
  counts.reads = counts.writes = counts.deletes = counts.lists = 0;
  return new Response(body, { headers: { "Content-Type": "application/json" } });
}
