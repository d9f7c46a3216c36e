import { leaseOrder, type Region } from "../config/regions.ts";
import { type Env, settings } from "../config/settings.ts";
import { FIRST_INDEX_LEASE, MAX_INDEX_LEASE } from "../lib/limits.ts";
import { OneFlight } from "../lib/one-flight.ts";
import { within } from "../lib/within.ts";
import { type IndexLease, statusRegion } from "../store/status-owners.ts";

/**
 * Where this isolate puts its next tokens in the status lists: a range of indices leased from
 * its region's status object (objects/status-region.ts), taken one by one (an index is handed
 * out synchronously, so two requests of the isolate never get the same one, and no object ever
 * leases one index twice). An isolate asks again only when its range is used up or its list
 * stops taking tokens; a range it does not use up is never set, which costs a bit each. A range
 * used up makes the next one twice as big, up to MAX_INDEX_LEASE; one that lapsed unused starts
 * over at FIRST_INDEX_LEASE, so an idle isolate wastes at most one small range a list.
 *
 * Failover: a region's object that does not answer within STATUS_LEASE_TIMEOUT_MS (or throws)
 * is passed over for the next nearest region's; the token names the list it went into, and so
 * the object that takes its revocation. Only when none answers is the request refused (503).
 */
interface Held {
  list: string;
  start: number;
  next: number;
  end: number;
  /** epoch ms: no token is put into the range after it. */
  until: number;
}

let held: Held | undefined;
let size = FIRST_INDEX_LEASE;
const asking = new OneFlight();

/** The list and index of this isolate's next token, for tokens living `ttlSeconds`, leased in `region` (or the next nearest that answers). */
export async function nextStatusIndex(env: Env, ttlSeconds: number, region: Region): Promise<{ list: string; idx: number }> {
  for (;;) {
    const next = heldStatusIndex();
    if (next !== undefined) return next;
    const h = held;
    await asking.run("lease", async () => {
      if (held !== h) return; // another request already took a new range
      size = nextSize(h);
      const lease = await leaseNear(env, region, size, ttlSeconds);
      held = { list: lease.list, start: lease.start, next: lease.start, end: lease.start + lease.count, until: lease.until };
    });
  }
}

/** The next index of the range this isolate holds, taken at once; undefined when a lease must be asked for (nextStatusIndex). */
export function heldStatusIndex(): { list: string; idx: number } | undefined {
  const h = held;
  return h !== undefined && h.next < h.end && Date.now() < h.until ? { list: h.list, idx: h.next++ } : undefined;
}

/**
 * The next range's size: twice the last when it was used up; the same when its list stopped
 * taking tokens with half of it used or more (every busy isolate's range lapses at the same
 * hour: starting them all over at FIRST_INDEX_LEASE would be a burst of leases on one object);
 * FIRST_INDEX_LEASE after a range that mostly lapsed unused.
 */
function nextSize(h: Held | undefined): number {
  if (h === undefined) return FIRST_INDEX_LEASE;
  if (h.next >= h.end) return Math.min(size * 2, MAX_INDEX_LEASE);
  return (h.next - h.start) * 2 >= h.end - h.start ? size : FIRST_INDEX_LEASE;
}

/** Forgets the range this isolate holds: its next token takes a new lease (tests of failover). */
export function dropHeldIndices(): void {
  held = undefined;
  size = FIRST_INDEX_LEASE;
}

/** Thrown when no region's status object answered: no token can be made revocable just now. */
export class NoStatusIndexError extends Error {
  override readonly name = "NoStatusIndexError";
}

async function leaseNear(env: Env, region: Region, want: number, ttlSeconds: number): Promise<IndexLease> {
  const ms = settings(env).statusLeaseTimeoutMs;
  const failures: string[] = [];
  for (const r of leaseOrder(region)) {
    try {
      const lease = await within(
        statusRegion(env, r).leaseStatusIndices(r, want, ttlSeconds),
        ms,
        () => new Error(`no answer within ${ms} ms`),
      );
      if (failures.length > 0) {
        console.warn(JSON.stringify({ level: "warn", status: "leased from another region", region, from: r, passed_over: failures }));
      }
      return lease;
    } catch (error) {
      failures.push(`${r}: ${error instanceof Error ? error.message : String(error)}`);
    }
  }
  throw new NoStatusIndexError(`no status object answered a lease (${failures.join("; ")})`);
}
