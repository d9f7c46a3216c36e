import { isRegion, locationHint, type Region } from "../config/regions.ts";
import type { Env } from "../config/settings.ts";
import { unavailableAs } from "./objects.ts";
import { registry } from "./registry.ts";

/**
 * Who owns a status list, by its name: `eu-17` is the 17th list of the status object of region
 * `eu` (objects/status-region.ts); a bare number is a list the registry made before regions,
 * which it keeps, takes revocations for and retires, and leases from no more.
 */
export type ListOwner = { region: Region; n: number } | { region: undefined; n: number };

export function ownerOf(list: string): ListOwner | undefined {
  const m = /^(?:([a-z]{2})-)?([1-9]\d{0,8})$/.exec(list);
  if (!m) return undefined;
  const n = Number(m[2]);
  if (m[1] === undefined) return { region: undefined, n };
  return isRegion(m[1]) ? { region: m[1], n } : undefined;
}

export const regionalList = (region: Region, n: number): string => `${region}-${n}`;

/** A region's status object, placed in its region on first use. */
export const statusRegion = (env: Env, region: Region) =>
  unavailableAs(env.STATUS_REGIONS.getByName(region, { locationHint: locationHint(region) }), `the ${region} status object`);

/** A list's document as its owner holds it, for a reader whose KV does not have it yet (or one that does not check out). */
export function ownerDocument(env: Env, owner: ListOwner) {
  return owner.region === undefined
    ? registry(env).statusListDocument(owner.n)
    : statusRegion(env, owner.region).statusListDocument(owner.region, owner.n);
}

/** Indices of a status list an isolate may give its next tokens: `start` to `start + count - 1` of list `list`, until `until` (epoch ms). */
export interface IndexLease {
  list: string;
  start: number;
  count: number;
  until: number;
}

/** A token to revoke at its place in a region's list `n`: what the revocation endpoint verified of it. */
export interface RegionalRevocation {
  jti: string;
  client_id: string;
  exp: number;
  n: number;
  idx: number;
}
