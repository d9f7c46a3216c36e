import type { Env } from "../config/settings.ts";
import { FIRST_INDEX_LEASE, MAX_INDEX_LEASE } from "../lib/limits.ts";
import { OneFlight } from "../lib/one-flight.ts";
import { registry } from "../store/registry.ts";

/**
 * Where this isolate puts its next tokens in the status lists: a range of indices leased from
 * the registry, taken one by one (an index is handed out synchronously, so two requests of the
 * isolate never get the same one, and the registry never leases one index twice). An isolate
 * asks again only when its range is used up or its list stops taking tokens; a range it does
 * not use up is never set, which costs a bit each. A range used up makes the next one twice as
 * big, up to MAX_INDEX_LEASE; one that lapsed unused starts over at FIRST_INDEX_LEASE, so an idle
 * isolate wastes at most one small range a list.
 */
interface Held {
  list: number;
  next: number;
  end: number;
  /** epoch ms: no token is put into the range after it. */
  until: number;
}

let held: Held | undefined;
let size = FIRST_INDEX_LEASE;
const asking = new OneFlight();

/** The list and index of this isolate's next token, for tokens living `ttlSeconds`. */
export async function nextStatusIndex(env: Env, ttlSeconds: number): Promise<{ list: number; idx: number }> {
  for (;;) {
    const h = held;
    if (h && h.next < h.end && Date.now() < h.until) return { list: h.list, idx: h.next++ };
    await asking.run("lease", async () => {
      if (held !== h) return; // another request already took a new range
      size = h && h.next >= h.end ? Math.min(size * 2, MAX_INDEX_LEASE) : FIRST_INDEX_LEASE;
      const lease = await registry(env).leaseStatusIndices(size, ttlSeconds);
      held = { list: lease.list, next: lease.start, end: lease.start + lease.count, until: lease.until };
    });
  }
}
