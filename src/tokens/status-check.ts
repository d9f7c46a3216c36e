import { StatusUnavailableError } from "../lib/errors.ts";
import { acceptedUntil, MAX_TOKEN_TTL_SECONDS, STATUS_MAX_STALE_SECONDS } from "../lib/limits.ts";
import { OneFlight } from "../lib/one-flight.ts";
import { TtlCache } from "../lib/ttl-cache.ts";
import type { AccessTokenClaims } from "../oauth/claims.ts";
import { type Cutoff, type Cutoffs, higherCutoff, revokedByCutoff } from "../oauth/status.ts";
import { type StatusList, statusAt, VALID } from "../oauth/status-list.ts";
import type { RevocationChecker } from "./verify-access-token.ts";

/** A status document as its source hands it over. */
export interface Fetched<T> {
  value: T;
  /** How long it may be reused before a fresh copy is asked for (its `ttl`). */
  ttlSeconds: number;
  /** epoch seconds past which it must not be relied on at all (its `exp`), if it says. */
  expiresAt?: number | undefined;
  /**
   * When its source made it (a status token's `iat`, a KV copy's change time), if it says: a
   * copy older than one already taken is refused, so that nothing on the way (a cache, a proxy,
   * someone who kept an old copy) can take a revocation back.
   */
  issuedAt?: number | undefined;
}

/** Where a verifier gets status documents: KV for the service itself, the issuer's endpoints for everyone else. */
export interface StatusSource {
  /** The list at `uri` (named in a token of issuer `iss`), or null when there is none. Throws when it cannot be had. */
  list(uri: string, iss: string): Promise<Fetched<StatusList> | null>;
  /** The cut-offs document. Throws when it cannot be had. */
  cutoffs(iss: string): Promise<Fetched<Cutoffs>>;
}

interface Held<T> {
  value: T;
  /** epoch ms: reused without asking until then. */
  freshUntil: number;
  /** epoch ms: used, when no fresh copy can be had, until then. */
  usableUntil: number;
  /** The newest `issuedAt` taken for this document. */
  issuedAt: number | undefined;
}

/** The cut-offs as a verifier looks them up: Maps, so that no client_id, jti or kid can name an Object member. */
interface CutoffLookup {
  clients: Map<string, Cutoff>;
  tokens: Set<string>;
  kids: Set<string>;
}

/**
 * What this isolate itself revoked or raised: known here at once, before its own copy of the
 * documents catches up (the isolate that handled a change sees it immediately, as it always did).
 */
const revokedHere = new TtlCache<true>(50_000);
const cutoffsHere = new TtlCache<Cutoff>(10_000);
const kidsHere = new TtlCache<true>(100);

export function rememberRevoked(claims: Pick<AccessTokenClaims, "jti" | "exp" | "status">): void {
  const ttlMs = (acceptedUntil(claims.exp) - Date.now() / 1000) * 1000;
  const ref = claims.status?.status_list;
  revokedHere.set(ref ? `${ref.uri}#${ref.idx}` : `jti ${claims.jti}`, true, ttlMs);
}

/** Whether this isolate revoked the token itself (and so need not ask its list's owner again). */
export function revokedByThisIsolate(claims: Pick<AccessTokenClaims, "jti" | "status">): boolean {
  const ref = claims.status?.status_list;
  return revokedHere.get(ref ? `${ref.uri}#${ref.idx}` : `jti ${claims.jti}`) === true;
}

/** A signing key whose every token an emergency rotation in this isolate revoked, until `until` (epoch seconds). */
export function rememberRevokedKid(kid: string, until: number): void {
  kidsHere.set(kid, true, (until - Date.now() / 1000) * 1000);
}

export function rememberCutoff(clientId: string, cutoff: Cutoff): void {
  cutoffsHere.set(clientId, higherCutoff(cutoffsHere.get(clientId), cutoff)!, (MAX_TOKEN_TTL_SECONDS + STATUS_MAX_STALE_SECONDS) * 1000);
}

const MAX_HELD_LISTS = 256;
/** A list its source says does not exist: its tokens are rejected. */
const NO_LIST: Fetched<null> = { value: null, ttlSeconds: Number.POSITIVE_INFINITY };

/**
 * A token's status from the status list it names (draft-ietf-oauth-status-list §8.3), its
 * client's cut-off and its signing key's (an emergency rotation), checked after its signature
 * and claims. Each document is asked for at most
 * once per `cacheSeconds` (or its `ttl`, if shorter) in this isolate, one request at a time
 * whoever needs it; when a fresh copy cannot be had, a copy up to STATUS_MAX_STALE_SECONDS old
 * (and within its `exp`) is used, and with none the check throws StatusUnavailableError.
 * Nothing is read per token: a token never seen costs a bit lookup and a Map lookup.
 */
export class StatusCheck implements RevocationChecker {
  readonly #lists = new Map<string, Held<StatusList | null>>();
  readonly #cutoffs = new Map<string, Held<CutoffLookup>>();
  readonly #asking = new OneFlight();
  readonly #source: StatusSource;
  readonly #cacheSeconds: number;

  constructor(source: StatusSource, cacheSeconds: number) {
    this.#source = source;
    this.#cacheSeconds = cacheSeconds;
  }

  async isRevoked(claims: AccessTokenClaims, kid: string): Promise<boolean> {
    const ref = claims.status?.status_list;
    const [list, cutoffs] = await Promise.all([
      ref ? this.#held(this.#lists, ref.uri, async () => (await this.#source.list(ref.uri, claims.iss)) ?? NO_LIST) : undefined,
      this.#held(this.#cutoffs, claims.iss, async () => lookupOf(await this.#source.cutoffs(claims.iss))),
    ]);
    if (cutoffs.kids.has(kid) || kidsHere.get(kid)) return true;
    const cutoff = higherCutoff(cutoffs.clients.get(claims.client_id), cutoffsHere.get(claims.client_id));
    if (revokedByCutoff(claims, cutoff)) return true;
    if (!ref) return cutoffs.tokens.has(claims.jti) || revokedHere.get(`jti ${claims.jti}`) === true;
    if (revokedHere.get(`${ref.uri}#${ref.idx}`)) return true;
    // §8.3: no list, or an index beyond it, and nothing can be said of the token: it is rejected.
    return !list || statusAt(list, ref.idx) !== VALID;
  }

  async #held<T>(held: Map<string, Held<T>>, key: string, load: () => Promise<Fetched<T>>): Promise<T> {
    const now = Date.now();
    const h = held.get(key);
    if (h && now < h.freshUntil) return h.value;
    let cause: unknown;
    try {
      await this.#asking.run(key, async () => {
        const got = await load();
        const taken = held.get(key)?.issuedAt;
        // Older than what this verifier has: refused like a copy that could not be had.
        if (got.issuedAt !== undefined && taken !== undefined && got.issuedAt < taken) throw new Error(`${key}: older than the copy held`);
        const fetchedAt = Date.now();
        const stale = fetchedAt + STATUS_MAX_STALE_SECONDS * 1000;
        const usableUntil = got.expiresAt === undefined ? stale : Math.min(stale, got.expiresAt * 1000);
        const freshUntil = fetchedAt + Math.min(this.#cacheSeconds, got.ttlSeconds) * 1000;
        if (held.size >= MAX_HELD_LISTS) held.delete(held.keys().next().value!);
        held.set(key, { value: got.value, freshUntil, usableUntil, issuedAt: got.issuedAt ?? taken });
      });
    } catch (error) {
      cause = error;
    }
    const current = held.get(key);
    if (current && Date.now() < current.usableUntil) return current.value;
    throw new StatusUnavailableError(`no usable copy of ${key}`, { cause });
  }
}

function lookupOf(f: Fetched<Cutoffs>): Fetched<CutoffLookup> {
  const clients = new Map(Object.entries(f.value.clients));
  return { ...f, value: { clients, tokens: new Set(Object.keys(f.value.tokens)), kids: new Set(Object.keys(f.value.kids ?? {})) } };
}
