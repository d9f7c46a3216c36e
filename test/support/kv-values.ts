import { env } from "cloudflare:workers";
import { kekOf } from "../../src/lib/kek.ts";
import { nowSeconds } from "../../src/lib/time.ts";
import { open, type Stated, seal } from "../../src/store/authenticated.ts";

/**
 * Values as the registry writes them to KV: authenticated under SIGNING_KEY_KEK
 * (src/store/authenticated.ts). Tests read them through the same check every isolate applies.
 */

/** What the value at `key` states, checked as an isolate checks it; null when KV has none. Throws when it does not check out. */
export async function statedIn(kv: KVNamespace, key: string): Promise<Stated | null> {
  const text = await kv.get(key);
  if (text === null) return null;
  const opened = await open(await kekOf(env.SIGNING_KEY_KEK), key, text, nowSeconds());
  if (!opened.ok) throw new Error(`${key} in KV does not check out: ${opened.why}`);
  return opened.stated;
}

/** The payload at `key`, checked; null when KV has none. */
export async function payloadIn(kv: KVNamespace, key: string): Promise<string | null> {
  return (await statedIn(kv, key))?.payload ?? null;
}

/** The payload at `key` as JSON, checked; null when KV has none. */
export async function jsonIn<T = Record<string, unknown>>(kv: KVNamespace, key: string): Promise<T | null> {
  const payload = await payloadIn(kv, key);
  return payload === null ? null : (JSON.parse(payload) as T);
}

/** An envelope made with the deployment's KEK, as only the registry (or someone holding the KEK) can make one. */
export async function sealedWithKek(key: string, s: Stated): Promise<string> {
  return seal(await kekOf(env.SIGNING_KEY_KEK), key, s);
}
