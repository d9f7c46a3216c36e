import { type Env, settings } from "../env.ts";
import { HttpError } from "../http/errors.ts";
import { clientsKv } from "../store/bindings.ts";
import { CLIENT_ID_PATTERN, lockKey } from "../store/keys.ts";
import { KV_MIN_EXPIRATION_TTL_SECONDS } from "../limits.ts";
import { TtlCache } from "../store/ttl-cache.ts";

/**
 * Brute-force protection for client authentication. Failures are counted by the Rate Limiting
 * bindings, per client_id and per caller IP. The bindings cannot be asked without counting,
 * so when a count goes over its limit the client_id or IP is *locked*: the lock is what every
 * later attempt is checked against before any secret is compared, so a correct guess after
 * the limit is refused like a wrong one. Successful attempts are never counted.
 *
 * A lock lives in this isolate's memory (seen at once here) and in KV (seen by the other
 * isolates as KV propagates: at once nearby, within about 60 s everywhere).
 */

const MAX_LOCAL_LOCKS = 10_000;
const localLocks = new Map<string, number>(); // lock key → epoch seconds it ends
// "Not locked in KV", reused for CLIENT_CACHE_SECONDS so that the success path reads no KV.
const unlocked = new TtlCache<true>();

export interface Caller {
  clientId: string;
  ip: string;
}

/** The caller's IP as Cloudflare reports it; bounded, since it becomes part of a KV key. */
export function callerIp(request: Request): string {
  const ip = request.headers.get("CF-Connecting-IP") ?? "";
  return /^[0-9A-Fa-f:.]{2,45}$/.test(ip) ? ip : "unknown";
}

function lockKeys(c: Caller): string[] {
  // An id that cannot be ours shares one bucket: nobody can mint unbounded lock keys.
  const id = CLIENT_ID_PATTERN.test(c.clientId) ? c.clientId : "-";
  return [lockKey("client", id), lockKey("ip", c.ip)];
}

/** Throws 429 when the client_id or the IP is locked. */
export async function assertNotLocked(env: Env, caller: Caller): Promise<void> {
  const keys = lockKeys(caller);
  const now = Math.floor(Date.now() / 1000);
  let until = 0;
  for (const k of keys) until = Math.max(until, localLocks.get(k) ?? 0);
  const ttlMs = settings(env).clientCacheSeconds * 1000;
  const unknown = ttlMs > 0 ? keys.filter((k) => !unlocked.get(k)) : keys;
  if (until <= now && unknown.length > 0) {
    const stored = await clientsKv(env).get(unknown, "text");
    for (const [k, v] of stored) {
      if (v === null) unlocked.set(k, true, ttlMs);
      else until = Math.max(until, Number(v));
    }
  }
  if (until > now) throw tooManyAttempts(until - now);
}

/**
 * Counts a failed authentication. Returns the error to answer with: 401, or 429 when this
 * failure went over a limit (and the lock is then written).
 */
export async function recordFailure(env: Env, caller: Caller, failed: HttpError): Promise<HttpError> {
  const [clientKey, ipKey] = lockKeys(caller);
  const [byClient, byIp] = await Promise.all([
    env.AUTH_FAILURES_PER_CLIENT?.limit({ key: clientKey! }),
    env.AUTH_FAILURES_PER_IP?.limit({ key: ipKey! }),
  ]);
  const over = [byClient?.success === false ? clientKey! : undefined, byIp?.success === false ? ipKey! : undefined].filter(
    (k): k is string => k !== undefined,
  );
  if (over.length === 0) return failed;

  const seconds = Math.max(settings(env).lockoutSeconds, KV_MIN_EXPIRATION_TTL_SECONDS);
  const until = Math.floor(Date.now() / 1000) + seconds;
  if (localLocks.size >= MAX_LOCAL_LOCKS) localLocks.clear();
  for (const k of over) {
    localLocks.set(k, until);
    unlocked.delete(k);
  }
  // Best effort: the answer is 429 either way, and under a flood several isolates may write the
  // same lock at once, which KV (one write a second per key) can refuse.
  await Promise.all(over.map((k) => clientsKv(env).put(k, String(until), { expirationTtl: seconds }).catch(() => {})));
  return tooManyAttempts(seconds);
}

/** Optional, off by default: successful issuance counted per client_id (LIMIT_ISSUANCE). */
export async function assertIssuanceAllowed(env: Env, clientId: string): Promise<void> {
  if (!settings(env).limitIssuance || !env.ISSUANCE_PER_CLIENT) return;
  const { success } = await env.ISSUANCE_PER_CLIENT.limit({ key: clientId });
  if (!success) throw tooManyAttempts(60, "Too many tokens were requested for this client; try again later.");
}

function tooManyAttempts(seconds: number, detail = "Too many failed authentication attempts; try again later."): HttpError {
  return new HttpError(429, "rate_limited", detail, { headers: { "Retry-After": String(seconds) } });
}
