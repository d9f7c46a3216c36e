import type { Env } from "../env.ts";
import { HttpError } from "../http/errors.ts";
import type { ClientRecord } from "../store/client-record.ts";
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
}

const MAX_TRACKED_CLIENTS = 10_000;
const held = new Map<string, HeldLease>();
/** One ledger request at a time per client: requests that find the lease spent wait for it. */
const asking = new Map<string, Promise<void>>();

/** Takes one token from the client's quota, or throws 429 rate_limited with Retry-After. */
export async function takeFromQuota(env: Env, client: ClientRecord): Promise<void> {
  const quota = client.token_quota;
  if (quota === undefined) return;
  const version = client.version ?? 0;
  for (;;) {
    const lease = held.get(client.client_id);
    if (lease && lease.left > 0 && lease.until > Date.now() && lease.version === version) {
      lease.left--;
      return;
    }
    const pending = asking.get(client.client_id);
    if (pending) {
      await pending;
      continue;
    }
    const ask = (async () => {
      const fresh = await ledger(env, client.client_id).lease(quota, version);
      if (fresh.granted === 0) {
        held.delete(client.client_id);
        throw new HttpError(429, "rate_limited", "This client has used its token quota; try again later.", {
          headers: { "Retry-After": String(fresh.retry_after ?? 60) },
        });
      }
      if (held.size >= MAX_TRACKED_CLIENTS) held.clear();
      held.set(client.client_id, { left: fresh.granted, until: fresh.until, version });
    })();
    asking.set(client.client_id, ask);
    try {
      await ask;
    } finally {
      asking.delete(client.client_id);
    }
  }
}
