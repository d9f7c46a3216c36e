import { type Env, settings } from "../env.ts";
import type { Kv } from "./kv.ts";

/** A KV call that did not answer in time: failed, like any other KV error (a logged 500). */
export class KvTimeoutError extends Error {
  override name = "KvTimeoutError";
}

const wrapped = new WeakMap<object, Map<number, Kv>>();

/** The CLIENTS namespace, every call cut off after KV_TIMEOUT_MS. */
export const clientsKv = (env: Env): Kv => timed(env.CLIENTS, settings(env).kvTimeoutMs);

/** The REVOCATIONS namespace, every call cut off after KV_TIMEOUT_MS. */
export const revocationsKv = (env: Env): Kv => timed(env.REVOCATIONS, settings(env).kvTimeoutMs);

/**
 * Wraps a namespace so that a hung call fails instead of holding the request until the
 * runtime kills it. Wrappers are made once per binding, not per request.
 */
export function timed(kv: Kv, ms: number): Kv {
  let byMs = wrapped.get(kv);
  if (!byMs) wrapped.set(kv, (byMs = new Map()));
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

export function deadline<T>(promise: Promise<T>, ms: number, op: string): Promise<T> {
  let timer: ReturnType<typeof setTimeout> | undefined;
  const timeout = new Promise<never>((_, reject) => {
    timer = setTimeout(() => reject(new KvTimeoutError(`KV ${op} did not answer within ${ms} ms`)), ms);
  });
  return Promise.race([promise, timeout]).finally(() => clearTimeout(timer));
}
