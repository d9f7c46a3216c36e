import { type CryptoKey, importJWK, type JWK } from "jose";
import { JwksUnavailableError } from "../lib/errors.ts";
import { OneFlight } from "../lib/one-flight.ts";
import { algorithmOf, type VerificationKey } from "./algorithms.ts";

/** Where a verifier gets the issuer's public keys from. */
export type JwksSource = { fetch(url: string): Promise<Response> } | { keys: unknown[] };

export interface JwksCacheOptions {
  /** How long a fetched key set is used before it is fetched again. */
  maxAgeSeconds: number;
  /** The least time between two fetches caused by an unknown kid. */
  cooldownSeconds: number;
}

/**
 * A key by kid. `issuerDocument`: the kid comes from a document fetched from the issuer itself
 * (a status list, the cut-offs), not from a token a caller presented: an unknown one means the
 * issuer has rotated its keys (an emergency rotation signs the very cut-offs that revoke the old
 * key with the new one), so it refetches after a second rather than the cooldown.
 */
export type KeyLookup = (kid: string, o?: { issuerDocument?: boolean }) => Promise<VerificationKey | undefined>;

/** The least time between two fetches caused by an unknown kid in an issuer's own document. */
const ISSUER_DOCUMENT_COOLDOWN_MS = 1000;

interface Entry {
  keys: Map<string, VerificationKey>;
  fetchedAt: number;
  lastFetchAt: number;
}

// Module scope, so it lives as long as the isolate and is shared by every request (and every
// verifier pointed at the same key set). Keyed by the JWKS URL.
const cache = new Map<string, Entry>();
/** One fetch of a key set at a time: concurrent lookups wait for it (each on a promise of its own). */
const fetching = new OneFlight();

/**
 * A key lookup over a remote key set: fetched on first use and after `maxAgeSeconds`; an
 * unknown kid refetches at most once per `cooldownSeconds`, so a flood of made-up kids
 * cannot hammer the JWKS endpoint. Concurrent lookups share one fetch.
 */
export function remoteKeyLookup(url: string, fetcher: { fetch(url: string): Promise<Response> }, o: JwksCacheOptions): KeyLookup {
  return async (kid, lookup) => {
    const now = Date.now();
    let entry = cache.get(url);
    if (!entry) {
      entry = { keys: new Map(), fetchedAt: 0, lastFetchAt: 0 };
      cache.set(url, entry);
    }
    const due = now - entry.fetchedAt >= o.maxAgeSeconds * 1000 || !entry.keys.has(kid);
    // Every fetch, failed ones included, waits out the cooldown: neither made-up kids nor an
    // unreachable issuer turn verification traffic into JWKS traffic.
    const cooldown = lookup?.issuerDocument ? Math.min(ISSUER_DOCUMENT_COOLDOWN_MS, o.cooldownSeconds * 1000) : o.cooldownSeconds * 1000;
    const cooledDown = now - entry.lastFetchAt >= cooldown;
    if (fetching.busy(url) || (due && cooledDown)) await fetching.run(url, () => refresh(entry, url, fetcher, now));
    else if (entry.keys.size === 0) throw new JwksUnavailableError(`no keys from ${url} yet`);
    return entry.keys.get(kid);
  };
}

async function refresh(entry: Entry, url: string, fetcher: { fetch(url: string): Promise<Response> }, now: number): Promise<void> {
  entry.lastFetchAt = now;
  try {
    const response = await fetcher.fetch(url);
    if (!response.ok) throw new Error(`JWKS fetch answered ${response.status}`);
    entry.keys = await importPublicKeys(await response.json());
    entry.fetchedAt = Date.now();
  } catch (cause) {
    // Keep serving the keys we have; with none at all, nothing can be verified.
    if (entry.keys.size === 0) throw new JwksUnavailableError(`could not fetch ${url}`, { cause });
  }
}

/** Imports the usable keys of a JWK set: EdDSA and ES256 signature keys with a kid. */
export async function importPublicKeys(set: unknown): Promise<Map<string, VerificationKey>> {
  const keys = new Map<string, VerificationKey>();
  const list = (set as { keys?: unknown } | null)?.keys;
  if (!Array.isArray(list)) return keys;
  for (const jwk of list as Record<string, unknown>[]) {
    const alg = typeof jwk === "object" && jwk !== null ? algorithmOf(jwk) : undefined;
    if (!alg || typeof jwk.kid !== "string" || "d" in jwk || (jwk.use !== undefined && jwk.use !== "sig")) continue;
    try {
      keys.set(jwk.kid, { alg, key: (await importJWK(jwk as JWK, alg)) as CryptoKey });
    } catch {
      // An unusable key is skipped, not fatal: the others still verify.
    }
  }
  return keys;
}
