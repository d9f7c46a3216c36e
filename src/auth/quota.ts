import type { Env } from "../config/settings.ts";
import { HttpError } from "../lib/errors.ts";
import { OneFlight } from "../lib/one-flight.ts";
import type { ApplicationKey, TokenQuota } from "../store/application-keys.ts";
import { ledger } from "../store/ledger.ts";

/**
 * Global issuance quotas (a key's `token_quota`), kept off the per-token path: this isolate
 * holds a lease of a few tokens per client from the client's ledger (a Durable Object per
 * client_id) and asks again only when it has used them or its window has ended. A client
 * without a quota costs one property check.
 */
interface HeldLease {
  left: number;
  until: number;
  /** The record version the quota came from: a changed quota asks again. */
  version: number;
  /** When the ledger found the quota spent: refused here until then (epoch ms), without asking again. */
  spentUntil?: number;
}

const MAX_TRACKED_CLIENTS = 10_000;
const held = new Map<string, HeldLease>();
/** One ledger request at a time per client and isolate: requests that find the lease spent wait for it. */
const asking = new OneFlight();

/**
 * Takes one token from the client's quota, or throws 429 rate_limited with Retry-After. `token`:
 * its `token_quota`, which only requests that authenticated as the key spend; `implicit`: its
 * `implicit_quota`, spent by implicit requests (its public client_id alone) and counted apart, in
 * a ledger of its own, so that no stranger can spend what the key's backend relies on. Returns
 * the lease the token came from (for `returnToQuota`), at once when nothing needs waiting for
 * (this isolate's lease still covers the token), a promise only when the ledger must be asked;
 * undefined when the key has no such quota.
 */
export function takeFromQuota(env: Env, client: ApplicationKey, kind: "token" | "implicit"): Taken | Promise<Taken> | undefined {
  const quota = kind === "token" ? client.token_quota : client.implicit_quota;
  if (quota === undefined) return undefined;
  const version = client.version ?? 0;
  const name = ledgerName(client.client_id, kind);
  return takeHeld(name, version, kind) ?? takeAsking(env, quota, version, name, kind);
}

/** Where a token taken from a quota came from: this isolate's lease of it. */
export type Taken = Readonly<object>;

/** Takes one token from the lease this isolate holds: the lease when it did, a 429 when the ledger found the quota spent, undefined when the ledger must be asked. */
function takeHeld(name: string, version: number, kind: "token" | "implicit"): HeldLease | undefined {
  const lease = held.get(name);
  if (lease === undefined || lease.version !== version) return undefined;
  const now = Date.now();
  if (lease.left > 0 && lease.until > now) {
    lease.left--;
    return lease;
  }
  if (lease.spentUntil !== undefined && lease.spentUntil > now) throw quotaSpent(Math.ceil((lease.spentUntil - now) / 1000), kind);
  return undefined;
}

async function takeAsking(env: Env, quota: TokenQuota, version: number, name: string, kind: "token" | "implicit"): Promise<Taken> {
  let taken: HeldLease | undefined;
  do {
    await asking.run(name, async () => {
      const fresh = await ledger(env, name).lease(quota, version);
      if (held.size >= MAX_TRACKED_CLIENTS) held.clear();
      held.set(
        name,
        fresh.granted > 0
          ? { left: fresh.granted, until: fresh.until, version }
          : { left: 0, until: 0, version, spentUntil: Date.now() + (fresh.retry_after ?? 60) * 1000 },
      );
    });
    taken = takeHeld(name, version, kind);
  } while (taken === undefined);
  return taken;
}

/**
 * Gives back the token `takeFromQuota` took for a request the service then could not complete
 * (no status object answered): the caller did nothing to spend it. It goes back to the lease it
 * came from while this isolate still holds that lease and its window lasts; otherwise it stays
 * counted, as any token of a lease that lapses unused is (never into another window's lease).
 */
export function returnToQuota(client: ApplicationKey, kind: "token" | "implicit", taken: Taken | undefined): void {
  const lease = held.get(ledgerName(client.client_id, kind));
  if (lease !== undefined && lease === taken && lease.until > Date.now()) lease.left++;
}

/** The ledger that counts a key's tokens of that kind: its client_id for its token_quota. */
export const ledgerName = (clientId: string, kind: "token" | "implicit"): string => (kind === "token" ? clientId : `implicit:${clientId}`);

const quotaSpent = (retryAfter: number, kind: "token" | "implicit") =>
  new HttpError(429, "rate_limited", `This client has used its ${kind === "token" ? "token" : "implicit"} quota; try again later.`, {
    headers: { "Retry-After": String(retryAfter) },
  });
