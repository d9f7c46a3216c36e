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

/** Takes one token from the client's quota, or throws 429 rate_limited with Retry-After. */
export async function takeFromQuota(env: Env, client: ApplicationKey): Promise<void> {
  const quota = client.token_quota;
  if (quota === undefined) return;
  const version = client.version ?? 0;
  for (;;) {
    const lease = held.get(client.client_id);
    const now = Date.now();
    if (lease && lease.version === version) {
      if (lease.left > 0 && lease.until > now) {
        lease.left--;
        return;
      }
      if (lease.spentUntil !== undefined && lease.spentUntil > now) throw quotaSpent(Math.ceil((lease.spentUntil - now) / 1000));
    }
    await asking.run(client.client_id, async () => {
      const fresh = await ledger(env, client.client_id).lease(quota, version);
      if (held.size >= MAX_TRACKED_CLIENTS) held.clear();
      held.set(
        client.client_id,
        fresh.granted > 0
          ? { left: fresh.granted, until: fresh.until, version }
          : { left: 0, until: 0, version, spentUntil: Date.now() + (fresh.retry_after ?? 60) * 1000 },
      );
    });
  }
}

const quotaSpent = (retryAfter: number) =>
  new HttpError(429, "rate_limited", "This client has used its token quota; try again later.", {
    headers: { "Retry-After": String(retryAfter) },
  });
