import { locationHint, REGION_DIGITS, REGIONS, type Region } from "../config/regions.ts";
import type { Env } from "../config/settings.ts";
import { unavailableAs } from "./objects.ts";

/**
 * Who owns a status list, by its number: 100000000 times the region's digit plus the list's
 * number there (config/regions.ts: 300000017 is the 17th list of the status object of region
 * `eu`, objects/status-region.ts); a number below 100000000 is a list the registry made before
 * regions, which it keeps, takes revocations for and retires, and leases from no more. A plain
 * number, as every list before: a verifier of an earlier version fetches it as it is.
 */
export type ListOwner = { region: Region; n: number } | { region: undefined; n: number };

const PER_REGION = 100_000_000;
const BY_DIGIT = new Map<number, Region>(REGIONS.map((r) => [REGION_DIGITS[r], r]));

export function ownerOf(list: string | number): ListOwner | undefined {
  const number = Number(list);
  if (!Number.isSafeInteger(number) || number < 1 || number >= 10 * PER_REGION) return undefined;
  const n = number % PER_REGION;
  const digit = Math.floor(number / PER_REGION);
  if (digit === 0) return { region: undefined, n };
  const region = BY_DIGIT.get(digit);
  return region === undefined || n === 0 ? undefined : { region, n };
}

export const regionalList = (region: Region, n: number): string => String(REGION_DIGITS[region] * PER_REGION + n);

/** A region's status object, placed in its region on first use. */
export const statusRegion = (env: Env, region: Region) =>
  unavailableAs(env.STATUS_REGIONS.getByName(region, { locationHint: locationHint(region) }), `the ${region} status object`);

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
