import { type Env, settings } from "../config/settings.ts";
import { TtlCache } from "../lib/ttl-cache.ts";
import { type Cutoffs, isCutoffs } from "../oauth/status.ts";
import type { StatusListJson } from "../oauth/status-list.ts";
import { readChecked, takenFromRegistry } from "./authenticated-reads.ts";
import { revocationsKv } from "./bindings.ts";
import { CUTOFFS_KEY, statusListKey } from "./kv-keys.ts";
import { registry } from "./registry.ts";
import { type ListOwner, ownerOf, statusRegion } from "./status-owners.ts";

/**
 * The status documents as KV holds them (docs/storage.md): written by the registry alone,
 * authenticated (store/authenticated.ts), read by the service's own verifier and by the
 * endpoints that sign them for everyone else.
 */

/** A status list as stored: its JSON form (§4.2) and when the last token naming it expires. */
export interface StatusListDocument extends StatusListJson {
  /** epoch seconds; KV drops the entry a little after. */
  retire_at: number;
}

/** A document and the iat of the registry's change it carries (epoch ms): a reader never takes an older one after a newer. */
export interface Versioned<T> {
  value: T;
  iat: number;
}

/** The numbers an owner's lists have now: every list a token can name is in it, or at most two above (made since). */
export interface ListBounds {
  lowest: number;
  highest: number;
}

/** What an owner answers for one of its lists: the list (null: none by that number), and the numbers its lists have. */
export interface OwnerAnswer {
  document: Versioned<StatusListDocument> | null;
  bounds: ListBounds;
}

/** A list's document as its owner holds it, for a reader whose KV does not have it yet (or one that does not check out). */
export function ownerDocument(env: Env, owner: ListOwner): Promise<OwnerAnswer> {
  return owner.region === undefined
    ? registry(env).legacyStatusList(owner.n)
    : statusRegion(env, owner.region).statusListDocument(owner.region, owner.n);
}

/**
 * A list as this location sees it: KV's copy once it checks out, or, where KV does not have it
 * yet (a list made moments ago, not yet propagated) or has one that does not check out, its
 * owner's (store/status-owners.ts); null when there is none.
 */
export async function statusListDocument(env: Env, list: string): Promise<Versioned<StatusListDocument> | null> {
  const owner = ownerOf(list);
  if (owner === undefined) return null;
  // Every list a token can name is within the numbers its owner last said it has, or at most two
  // above (made since): a number outside is no list, answered without KV or the owner.
  const ownerKey = owner.region ?? "registry";
  const outside = (b: ListBounds | undefined) => b !== undefined && (owner.n < b.lowest || owner.n > b.highest + 2);
  // While an ask of this owner is under way, the numbers it answers with are awaited first: a
  // flood of new numbers costs one ask, not one each.
  if (outside(bounds.get(ownerKey) ?? (await asking.get(ownerKey)?.catch(() => undefined)))) return null;
  const key = statusListKey(list);
  const checked = await readChecked(revocationsKv(env), env.SIGNING_KEY_KEK, key);
  if ("stated" in checked) return { value: JSON.parse(checked.stated.payload) as StatusListDocument, iat: checked.stated.iat };
  const pending = asking.get(ownerKey);
  if (pending && outside(await pending.catch(() => undefined))) return null;
  const answer = ownerDocument(env, owner);
  const said = answer.then((a) => a.bounds);
  said.catch(() => {}); // its failure is this request's, handled below; a waiter treats it as no answer
  asking.set(ownerKey, said);
  try {
    const { document, bounds: b } = await answer;
    bounds.set(ownerKey, b, Math.max(1, settings(env).revocationCacheSeconds) * 1000);
    if (document) takenFromRegistry(key, document.iat);
    return document;
  } finally {
    if (asking.get(ownerKey) === said) asking.delete(ownerKey);
  }
}

/** Per owner, its ask under way, if any: what it will say its lists' numbers are. */
const asking = new Map<string, Promise<ListBounds>>();

/** Per owner (a region, or the registry), the numbers its lists had when it was last asked: kept for the lists' ttl. */
const bounds = new TtlCache<ListBounds>(16);

/** The cut-offs as this location sees them: KV's copy once it checks out, or the registry's. */
export async function cutoffsDocument(env: Env): Promise<Versioned<Cutoffs>> {
  const checked = await readChecked(revocationsKv(env), env.SIGNING_KEY_KEK, CUTOFFS_KEY);
  if ("stated" in checked) {
    const value = JSON.parse(checked.stated.payload) as unknown;
    if (!isCutoffs(value)) throw new TypeError("the stored cut-offs document is malformed");
    return { value, iat: checked.stated.iat };
  }
  const answer = await registry(env).cutoffsDocument();
  takenFromRegistry(CUTOFFS_KEY, answer.iat);
  return answer;
}
