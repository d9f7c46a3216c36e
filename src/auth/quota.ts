import type { Env } from "../config/settings.ts";
import { HttpError } from "../lib/errors.ts";
import { OneFlight } from "../lib/one-flight.ts";
import type { ApplicationKey } from "../store/application-keys.ts";
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
 * a ledger of its own, so that no stranger can spend what the key's backend relies on.
 */
export async function takeFromQuota(env: Env, client: ApplicationKey, kind: "token" | "implicit"): Promise<void> {
  const quota = kind === "token" ? client.token_quota : client.implicit_quota;
  if (quota === undefined) return;
  const version = client.version ?? 0;
  const name = ledgerName(client.client_id, kind);
  for (;;) {
    const lease = held.get(name);
    const now = Date.now();
    if (lease && lease.version === version) {
      if (lease.left > 0 && lease.until > now) {
        lease.left--;
        return;
      }
      if (lease.spentUntil !== undefined && lease.spentUntil > now) throw quotaSpent(Math.ceil((lease.spentUntil - now) / 1000), kind);
    }
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
  }
}

/** The ledger that counts a key's tokens of that kind: its client_id for its token_quota. */
export const ledgerName = (clientId: string, kind: "token" | "implicit"): string => (kind === "token" ? clientId : `implicit:${clientId}`);

const quotaSpent = (retryAfter: number, kind: "token" | "implicit") =>
  new HttpError(429, "rate_limited", `This client has used its ${kind === "token" ? "token" : "implicit"} quota; try again later.`, {
    headers: { "Retry-After": String(retryAfter) },
  });
