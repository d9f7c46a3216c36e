import type { Env } from "../config/settings.ts";
import { type Cutoffs, isCutoffs } from "../oauth/status.ts";
import type { StatusListJson } from "../oauth/status-list.ts";
import { revocationsKv } from "./bindings.ts";
import type { Kv } from "./kv.ts";
import { CUTOFFS_KEY, statusListKey } from "./kv-keys.ts";
import { registry } from "./registry.ts";

/**
 * The status documents as KV holds them (docs/storage.md): written by the registry alone,
 * read by the service's own verifier and by the endpoints that sign them for everyone else.
 */

/** A status list as stored: its JSON form (§4.2) and when the last token naming it expires. */
export interface StatusListDocument extends StatusListJson {
  /** epoch seconds; KV drops the entry a little after. */
  retire_at: number;
}

export async function readStatusListDocument(kv: Pick<Kv, "get">, list: number): Promise<StatusListDocument | null> {
  return kv.get<StatusListDocument>(statusListKey(list), "json");
}

export async function readCutoffsDocument(kv: Pick<Kv, "get">): Promise<Cutoffs | null> {
  const doc = await kv.get<unknown>(CUTOFFS_KEY, "json");
  if (doc === null) return null;
  if (!isCutoffs(doc)) throw new TypeError("the stored cut-offs document is malformed");
  return doc;
}

/**
 * A list as this location sees it: KV's copy, or, where KV does not have it yet (a list made
 * moments ago, not yet propagated), the registry's; null when there is none.
 */
export async function statusListDocument(env: Env, list: number): Promise<StatusListDocument | null> {
  return (await readStatusListDocument(revocationsKv(env), list)) ?? (await registry(env).statusListDocument(list));
}

/** The cut-offs as this location sees them: KV's copy, or the registry's where KV has none yet. */
export async function cutoffsDocument(env: Env): Promise<Cutoffs> {
  return (await readCutoffsDocument(revocationsKv(env))) ?? (await registry(env).cutoffsDocument());
}
