import { importJWK, type JWK } from "jose";
import { type Env, settings } from "../config/settings.ts";
import { SigningUnavailableError } from "../lib/errors.ts";
import { kekOf } from "../lib/kek.ts";
import { STATUS_MAX_STALE_SECONDS } from "../lib/limits.ts";
import { OneFlight } from "../lib/one-flight.ts";
import { TtlCache } from "../lib/ttl-cache.ts";
import { parseSigningKeysDocument, type SigningKeysDocument, signingKeysText } from "../store/signing-keys-document.ts";
import { type Algorithm, algorithmOf, type Signer, type VerificationKey } from "./algorithms.ts";
import { unseal } from "./key-seal.ts";
import { importPrivateKey, type PublicJwk } from "./signing-key-material.ts";
import type { VerifiedTokens } from "./verify-access-token.ts";

export type { Signer, VerificationKey } from "./algorithms.ts";
export type { PublicJwk } from "./signing-key-material.ts";

export interface KeySet {
  /** Every key in the JWKS by kid: tokens of a key that no longer signs verify until it leaves. */
  verifiers: ReadonlyMap<string, VerificationKey>;
  jwks: { keys: PublicJwk[] };
  /** The JWKS document, serialised once. */
  jwksJson: string;
  /** Tokens verified against these keys (an entry counts only while its kid resolves to the same key). */
  verified: VerifiedTokens;
  /** The active key, opened with this Worker's KEK on first use and kept; SigningUnavailableError when it cannot be. */
  signer(kekSecret: string | undefined): Promise<Signer>;
  /** The active key once `signer` has opened it for this KEK; undefined before (or when it could not be opened). */
  openedSigner(kekSecret: string | undefined): Signer | undefined;
}

interface Held {
  text: string;
  keys: KeySet;
  /** `keys`, resolved: what a warm request gets back without an async step of its own. */
  ready: Promise<KeySet>;
  /** epoch ms: reused without reading KV until then. */
  freshUntil: number;
  /** epoch ms: when KV last answered; a copy is used this long at most after, should KV stop answering. */
  readAt: number;
}

/**
 * The signing keys as this isolate holds them: the registry's KV copy (its document), read once
 * per CLIENT_CACHE_SECONDS, one read at a time. Public keys are imported once per kid and the
 * active private key opened once per document, so a rotation costs an isolate one import of
 * the new key and a warm token request nothing. Held per KV namespace binding (the one the
 * document is read from), which lives as long as the isolate.
 */
const held = new WeakMap<object, Held>();
const reading = new WeakMap<object, OneFlight>();
const publicKeys = new Map<string, Promise<CryptoKey>>();
const verified: VerifiedTokens = new TtlCache(5_000);

export function signingKeys(env: Env): Promise<KeySet> {
  const h = held.get(env.CLIENTS);
  if (h && Date.now() < h.freshUntil) return h.ready;
  return refreshed(env);
}

async function refreshed(env: Env): Promise<KeySet> {
  let flight = reading.get(env.CLIENTS);
  if (!flight) {
    flight = new OneFlight();
    reading.set(env.CLIENTS, flight);
  }
  await flight.run("signing-keys", () => refresh(env));
  return held.get(env.CLIENTS)!.keys;
}

/** What a change made in this isolate (a rotation through the registry) makes stale at once. */
export function forgetSigningKeys(env: Env): void {
  held.delete(env.CLIENTS);
}

async function refresh(env: Env): Promise<void> {
  const h = held.get(env.CLIENTS);
  let text: string;
  try {
    text = await signingKeysText(env);
  } catch (error) {
    // A KV that does not answer for a while costs nothing but staleness: the copy held serves,
    // as a status document's does, for STATUS_MAX_STALE_SECONDS after KV last answered.
    if (!h || Date.now() >= h.readAt + STATUS_MAX_STALE_SECONDS * 1000) throw error;
    h.freshUntil = Date.now() + 1000;
    return;
  }
  const now = Date.now();
  const freshUntil = now + settings(env).clientCacheSeconds * 1000;
  if (h && h.text === text) {
    h.freshUntil = freshUntil;
    h.readAt = now;
    return;
  }
  const keys = await keySetOf(parseSigningKeysDocument(text));
  held.set(env.CLIENTS, { text, keys, ready: Promise.resolve(keys), freshUntil, readAt: now });
}

/** The key that signs now when this isolate holds it opened and fresh, without an await; undefined when activeSigner must be asked. */
export function heldSigner(env: Env): Signer | undefined {
  const h = held.get(env.CLIENTS);
  return h && Date.now() < h.freshUntil ? h.keys.openedSigner(env.SIGNING_KEY_KEK) : undefined;
}

/** The key that signs now, as this Worker (its KEK) can open it. */
export function activeSigner(env: Env): Promise<Signer> {
  const h = held.get(env.CLIENTS);
  if (h && Date.now() < h.freshUntil) return h.keys.signer(env.SIGNING_KEY_KEK);
  return refreshed(env).then((keys) => keys.signer(env.SIGNING_KEY_KEK));
}

async function keySetOf(doc: SigningKeysDocument): Promise<KeySet> {
  const verifiers = new Map<string, VerificationKey>();
  const jwks: PublicJwk[] = [];
  // The active key first: a JWKS reader that takes the first key takes the one that signs.
  const ordered = [...doc.keys].sort((a, b) => Number(b.state === "active") - Number(a.state === "active"));
  for (const k of ordered) {
    const alg = algorithmOf({ ...k.jwk, alg: k.alg });
    if (!alg) continue;
    const pub = { ...(k.jwk as unknown as PublicJwk), kid: k.kid, alg, use: "sig" as const };
    jwks.push(pub);
    verifiers.set(k.kid, { alg, key: await publicKey(pub) });
  }
  const active = doc.keys.find((k) => k.state === "active")!;
  const alg = algorithmOf({ ...active.jwk, alg: active.alg });
  const set = { keys: jwks };
  // The active key, opened once per key set for the KEK it was asked with (one KEK in a
  // deployment): a warm token request compares one string. A new document opens it anew.
  let opened: Opened | undefined;
  return {
    verifiers,
    jwks: set,
    jwksJson: JSON.stringify(set),
    verified,
    signer(kekSecret) {
      if (opened === undefined || opened.kekSecret !== kekSecret) {
        const o: Opened = { kekSecret, signer: openSigner(kekSecret, doc.kek, active, alg) };
        // Its failure is each caller's to see (they await `signer`); here it only leaves `value` unset.
        o.signer.then(
          (value) => {
            o.value = value;
          },
          () => {},
        );
        opened = o;
      }
      return opened.signer;
    },
    openedSigner(kekSecret) {
      return opened !== undefined && opened.kekSecret === kekSecret ? opened.value : undefined;
    },
  };
}

/** The active key as `signer` opens it for one KEK; `value` once it has. */
interface Opened {
  kekSecret: string | undefined;
  signer: Promise<Signer>;
  value?: Signer;
}

function publicKey(jwk: PublicJwk): Promise<CryptoKey> {
  const id = `${jwk.kid} ${jwk.x} ${jwk.y ?? ""}`;
  let key = publicKeys.get(id);
  if (!key) {
    key = importJWK(jwk as JWK, jwk.alg) as Promise<CryptoKey>;
    key.catch(() => publicKeys.delete(id));
    publicKeys.set(id, key);
  }
  return key;
}

/**
 * The active key opened with this Worker's KEK. A failure (the KEK is not the one the keys were
 * sealed with) is found once per key set: every request that needs a signature then fails fast
 * with the same SigningUnavailableError, its reason on the request's log line.
 */
async function openSigner(
  kekSecret: string | undefined,
  kek: string,
  active: { kid: string; sealed?: string | undefined },
  alg: Algorithm | undefined,
): Promise<Signer> {
  const { kid, sealed } = active;
  const own = await kekOf(kekSecret);
  if (own.fingerprint !== kek) {
    throw new SigningUnavailableError(
      `SIGNING_KEY_KEK does not match: the signing keys are sealed with KEK ${kek}, this Worker has KEK ${own.fingerprint}`,
    );
  }
  if (!alg || sealed === undefined) throw new SigningUnavailableError(`the active signing key ${kid} has no sealed private key`);
  const key = await importPrivateKey(await unseal(own, kid, sealed), alg);
  if (!key) throw new SigningUnavailableError(`the active signing key ${kid} could not be imported`);
  return { kid, alg, key };
}
