import { KvTimeoutError } from "../lib/errors.ts";
import { within } from "../lib/within.ts";
/**
 * The part of the Workers KV API the stores use. A KVNamespace binding satisfies it; so does
 * the CLI's adapter over `wrangler kv`, which lets the CLI run the same store code.
 */
export interface KvPutOptions {
  expiration?: number;
  expirationTtl?: number;
  metadata?: unknown;
}

export interface KvListResult<M> {
  keys: { name: string; expiration?: number; metadata?: M }[];
  list_complete: boolean;
  cursor?: string;
}

export interface Kv {
  get(key: string): Promise<string | null>;
  get(key: string, type: "text"): Promise<string | null>;
  get<T>(key: string, type: "json"): Promise<T | null>;
  get(keys: string[], type: "text"): Promise<Map<string, string | null>>;
  get<T>(keys: string[], type: "json"): Promise<Map<string, T | null>>;
  put(key: string, value: string, options?: KvPutOptions): Promise<void>;
  delete(key: string): Promise<void>;
  list<M = unknown>(options?: { prefix?: string; cursor?: string | null; limit?: number }): Promise<KvListResult<M>>;
}

const wrapped = new WeakMap<object, Map<number, Kv>>();

/**
 * Wraps a namespace so that a hung call fails instead of holding the request until the
 * runtime kills it. Wrappers are made once per binding, not per request.
 */
export function timed(kv: Kv, ms: number): Kv {
  let byMs = wrapped.get(kv);
  if (!byMs) {
    byMs = new Map();
    wrapped.set(kv, byMs);
  }
  let w = byMs.get(ms);
  if (!w) {
    w = {
      get: (...args: unknown[]) => deadline((kv.get as (...a: unknown[]) => Promise<unknown>)(...args), ms, "get"),
      put: (...args: Parameters<Kv["put"]>) => deadline(kv.put(...args), ms, "put"),
      delete: (key: string) => deadline(kv.delete(key), ms, "delete"),
      list: (options?: Parameters<Kv["list"]>[0]) => deadline(kv.list(options), ms, "list"),
    } as Kv;
    byMs.set(ms, w);
  }
  return w;
}

function deadline<T>(promise: Promise<T>, ms: number, op: string): Promise<T> {
  return within(promise, ms, () => new KvTimeoutError(`KV ${op} did not answer within ${ms} ms`));
}
