import { base64url } from "jose";
import { randomBytes, toHex } from "../lib/random.ts";
import { sha256 } from "../lib/sha256.ts";
import { uuidv7 } from "../lib/uuidv7.ts";
import type { Kv } from "./kv.ts";
import { appKeyIdKey } from "./kv-keys.ts";

/**
 * Application keys (the reference's term; the OAuth client each key is): the record as stored
 * and how a new one is made (the token path reads them in store/key-records.ts). Platform-neutral (Web Crypto
 * only): the Worker's admin API and the Node CLI both build records here, so a key written by
 * either looks the same.
 */

export interface ApplicationKey {
  /** The application key's id (UUID), as the admin API names it. */
  id: string;
  client_id: string;
  name: string;
  /**
   * base64url SHA-256 of the client secret. The secret itself is never stored; a key that
   * authenticates with private_key_jwt has none.
   */
  secret_hash?: string;
  /**
   * After a secret rotation with an overlap: the digest of the secret it replaced, which
   * authenticates too until `previous_secret_expires_at` (ISO time, checked at each
   * authentication, so a copy of the record anywhere stops taking it then). Never more than one.
   */
  previous_secret_hash?: string;
  previous_secret_expires_at?: string;
  created_at: string;
  updated_at: string;
  /** The most its tokens may carry, space-delimited. Absent on records older than scopes. */
  scope?: string;
  /** The grants it may use. Absent on records older than scopes. */
  grant_types?: string[];
  /** Who created it: the client_id of the acting key, or "cli". Absent on older records. */
  created_by?: string;
  /** Global issuance limits (tokens per hour and/or per UTC day) for requests that authenticate as the key; absent: unlimited. */
  token_quota?: TokenQuota;
  /** The same for implicit requests (its public client_id alone), counted apart; absent: only the per-address limit. */
  implicit_quota?: TokenQuota;
  /** The registry's version of this record, raised by every change. Absent on older records. */
  version?: number;
  /** Absent: client_secret_basic (client_secret_post accepted too). */
  token_endpoint_auth_method?: "private_key_jwt";
  /** The public keys a private_key_jwt key signs its assertions with (RFC 7591 `jwks`). */
  jwks?: ClientJwks;
  /** Every token of the key must be DPoP-bound (RFC 9449 §5.2). */
  dpop_bound_access_tokens?: true;
}

/** `{"keys":[…]}`: public JWKs, each with a kid, checked where they come in (tokens/client-keys.ts). */
export interface ClientJwks {
  keys: PublicJwk[];
}

/** The public members of an Ed25519, P-256 or RSA key, as a client registers it. */
export interface PublicJwk {
  kty: string;
  kid: string;
  alg: string;
  use?: string;
  crv?: string;
  x?: string;
  y?: string;
  n?: string;
  e?: string;
}

/** How a key proves it is itself at the token endpoint (RFC 7591 spellings). */
export type AuthMethodName = "client_secret_basic" | "private_key_jwt";

export const authMethodOf = (r: ApplicationKey): AuthMethodName => r.token_endpoint_auth_method ?? "client_secret_basic";

/** At least one of the two; each a positive integer. */
export interface TokenQuota {
  per_hour?: number;
  per_day?: number;
}

/** What a key may do, as stored. */
export interface Permissions {
  scope: string;
  grant_types: string[];
}

/**
 * Records written before keys carried scopes keep the powers every key had then: a
 * client_credentials token could do everything, key management included.
 */
export const LEGACY_PERMISSIONS: Readonly<Permissions> = Object.freeze({
  scope: "read write application_keys",
  grant_types: ["client_credentials", "implicit"],
});

export function permissionsOf(r: ApplicationKey): Permissions & { legacy: boolean } {
  if (r.scope === undefined || r.grant_types === undefined) return { ...LEGACY_PERMISSIONS, legacy: true };
  return { scope: r.scope, grant_types: r.grant_types, legacy: false };
}

/** Whether the key's previous secret (a rotation's overlap) still authenticates at `nowMs`. */
export function previousSecretLives(r: ApplicationKey, nowMs = Date.now()): boolean {
  return (
    r.previous_secret_hash !== undefined && r.previous_secret_expires_at !== undefined && Date.parse(r.previous_secret_expires_at) > nowMs
  );
}

/** The digest of the previous secret while it still authenticates; undefined otherwise. */
export const livePreviousSecretHash = (r: ApplicationKey, nowMs = Date.now()): string | undefined =>
  previousSecretLives(r, nowMs) ? r.previous_secret_hash : undefined;

export interface NewApplicationKey {
  record: ApplicationKey;
  /** Shown once, to whoever created the client; none for a private_key_jwt key. */
  clientSecret: string | undefined;
}

export interface NewApplicationKeyAttributes extends Permissions {
  name: string;
  created_by: string;
  token_endpoint_auth_method?: AuthMethodName | undefined;
  jwks?: ClientJwks | undefined;
  dpop_bound_access_tokens?: boolean | undefined;
}

export async function newApplicationKey(a: NewApplicationKeyAttributes, now = new Date()): Promise<NewApplicationKey> {
  const at = now.toISOString();
  const record: ApplicationKey = {
    id: uuidv7(now.getTime()),
    client_id: toHex(randomBytes(20)),
    name: a.name,
    created_at: at,
    updated_at: at,
    scope: a.scope,
    grant_types: a.grant_types,
    created_by: a.created_by,
    ...(a.token_endpoint_auth_method === "private_key_jwt" ? { token_endpoint_auth_method: "private_key_jwt" as const } : {}),
    ...(a.jwks ? { jwks: a.jwks } : {}),
    ...(a.dpop_bound_access_tokens ? { dpop_bound_access_tokens: true as const } : {}),
  };
  if (record.token_endpoint_auth_method === "private_key_jwt") return { record, clientSecret: undefined };
  const { secret, hash } = await newSecret();
  return { record: { ...record, secret_hash: hash }, clientSecret: secret };
}

/** A new 256-bit client secret and the digest that is stored instead of it. */
export async function newSecret(): Promise<{ secret: string; hash: string }> {
  const secret = base64url.encode(randomBytes(32));
  return { secret, hash: await hashSecret(secret) };
}

/**
 * A fast hash is right for a 256-bit random secret: it cannot be guessed from its digest,
 * and it keeps authentication far inside the Workers CPU budget (docs/security.md).
 */
export async function hashSecret(secret: string): Promise<string> {
  return base64url.encode(await sha256(secret));
}

/** Whether any application key exists in KV's copy (the registry writes its id index through): one list call. */
export async function anyApplicationKey(kv: Pick<Kv, "list">): Promise<boolean> {
  return (await kv.list({ prefix: appKeyIdKey(""), limit: 1 })).keys.length > 0;
}
