/**
 * The regions status lists are kept in: one status-list Durable Object per continent
 * (objects/status-region.ts), named by the continent Cloudflare puts on every request
 * (`request.cf.continent`) and placed there by a location hint. A continent is what an isolate
 * always knows about itself without a lookup, it puts the object a continent's round trip away
 * at most, and six objects keep the lists a verifier must fetch few (docs/storage.md).
 */
export const REGIONS = ["af", "as", "eu", "na", "oc", "sa"] as const;
export type Region = (typeof REGIONS)[number];

/**
 * A region's digit, which leads the number of every list its object makes (store/status-owners.ts):
 * a list's number names its owner and stays a plain number, which every verifier already takes.
 */
export const REGION_DIGITS: Record<Region, number> = { af: 1, as: 2, eu: 3, na: 4, oc: 5, sa: 6 };

/** A request with no continent (local development without one, the Cron Trigger, a test) leases here. */
export const DEFAULT_REGION: Region = "na";

const HINTS: Record<Region, DurableObjectLocationHint> = { af: "afr", as: "apac", eu: "weur", na: "enam", oc: "oc", sa: "sam" };

/** Whom a region asks when its own object does not answer in time: the two nearest, nearest first. */
const NEAREST: Record<Region, [Region, Region]> = {
  af: ["eu", "as"],
  as: ["oc", "eu"],
  eu: ["na", "af"],
  na: ["eu", "sa"],
  oc: ["as", "na"],
  sa: ["na", "eu"],
};

export const isRegion = (text: string): text is Region => (REGIONS as readonly string[]).includes(text);

export const locationHint = (region: Region): DurableObjectLocationHint => HINTS[region];

/** The region a request leases in: its continent's (Antarctica's is Oceania's), else DEFAULT_REGION. */
export function regionOf(request: Request): Region {
  const continent = (request.cf as { continent?: unknown } | undefined)?.continent;
  if (typeof continent !== "string") return DEFAULT_REGION;
  const c = continent.toLowerCase();
  if (c === "an") return "oc";
  return isRegion(c) ? c : DEFAULT_REGION;
}

/** The objects a lease is asked of, in turn: the region's own, then its two nearest. */
export const leaseOrder = (region: Region): Region[] => [region, ...NEAREST[region]];
