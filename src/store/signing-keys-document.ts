import type { Env } from "../config/settings.ts";
import { SigningUnavailableError } from "../lib/errors.ts";
import { readChecked, takenFromRegistry } from "./authenticated-reads.ts";
import { clientsKv } from "./bindings.ts";
import { SIGNING_KEYS_KEY } from "./kv-keys.ts";
import { registry } from "./registry.ts";

/**
 * The signing keys as KV holds them (docs/storage.md): written by the registry alone, into
 * CLIENTS (a namespace only edge-token binds), read by every isolate that signs or verifies,
 * and by the JWKS endpoint.
 */

/** What a key is doing: announced (in the JWKS, not signing yet), signing, or done signing (in the JWKS until its tokens expire). */
export type PublishedState = "next" | "active" | "retiring";

export interface PublishedSigningKey {
  kid: string;
  alg: string;
  state: PublishedState;
  /** The public JWK, as the JWKS serves it. */
  jwk: Record<string, string>;
  /** The private JWK sealed under SIGNING_KEY_KEK (tokens/key-seal.ts); only a key that signs or will sign has one. */
  sealed?: string;
}

export interface SigningKeysDocument {
  /** The fingerprint of the KEK the keys are sealed with. */
  kek: string;
  /** Every key in the JWKS: exactly one active. */
  keys: PublishedSigningKey[];
}

/** What the registry answers for the document: it and the iat its KV copy states, or why there are no keys to sign with yet. */
export type SigningKeysAnswer = { document: SigningKeysDocument; iat: number } | { unavailable: string };

/**
 * The document as this location sees it, as text: KV's copy once it checks out
 * (store/authenticated-reads.ts), or the registry's where KV has none (a new deployment's first
 * request, a location KV has not reached) or one that does not check out. The registry makes
 * the first key when there is none.
 */
export async function signingKeysText(env: Env): Promise<string> {
  const checked = await readChecked(clientsKv(env), env.SIGNING_KEY_KEK, SIGNING_KEYS_KEY);
  if ("stated" in checked) return checked.stated.payload;
  const answer = await registry(env).signingKeysDocument();
  if ("unavailable" in answer) throw new SigningUnavailableError(answer.unavailable);
  takenFromRegistry(SIGNING_KEYS_KEY, answer.iat);
  return JSON.stringify(answer.document);
}

/** The document, parsed; TypeError when it is not one. */
export function parseSigningKeysDocument(text: string): SigningKeysDocument {
  const doc = JSON.parse(text) as Partial<SigningKeysDocument> | null;
  const keys = doc?.keys;
  const wellFormed =
    typeof doc?.kek === "string" &&
    Array.isArray(keys) &&
    keys.every(
      (k) =>
        typeof k?.kid === "string" &&
        typeof k.alg === "string" &&
        (k.state === "next" || k.state === "active" || k.state === "retiring") &&
        typeof k.jwk === "object" &&
        k.jwk !== null &&
        (k.sealed === undefined || typeof k.sealed === "string"),
    ) &&
    keys.filter((k) => k.state === "active").length === 1;
  if (!wellFormed) throw new TypeError("the stored signing keys document is malformed");
  return doc as SigningKeysDocument;
}
