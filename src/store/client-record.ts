import { base64url } from "jose";
import { randomBytes, toHex } from "../lib/random.ts";
import { sha256 } from "../lib/sha256.ts";
import { uuidv7 } from "../lib/uuidv7.ts";

/**
 * Creating client records. Platform-neutral (Web Crypto only): the Worker's admin API and the
 * Node CLI both build records here, so a key written by either looks the same.
 */

export interface ClientRecord {
  /** The application key's id (UUID), as the admin API names it. */
  id: string;
  client_id: string;
  name: string;
  /** base64url SHA-256 of the client secret. The secret itself is never stored. */
  secret_hash: string;
  created_at: string;
  updated_at: string;
  /** The most its tokens may carry, space-delimited. Absent on records older than scopes. */
  scope?: string;
  /** The grants it may use. Absent on records older than scopes. */
  grant_types?: string[];
  /** Who created it: the client_id of the acting key, or "cli". Absent on older records. */
  created_by?: string;
  /** Global issuance limits (tokens per hour and/or per UTC day); absent: unlimited. */
  token_quota?: TokenQuota;
  /**
   * Set by a narrowing: every token of the key issued up to this time (epoch seconds) is
   * revoked, so the token endpoint issues none before it (docs/security.md).
   */
  revoked_through?: number;
  /** The registry's version of this record, raised by every change. Absent on older records. */
  version?: number;
}

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

export function permissionsOf(r: ClientRecord): Permissions & { legacy: boolean } {
  if (r.scope === undefined || r.grant_types === undefined) return { ...LEGACY_PERMISSIONS, legacy: true };
  return { scope: r.scope, grant_types: r.grant_types, legacy: false };
}

export interface NewClient {
  record: ClientRecord;
  /** Shown once, to whoever created the client. */
  clientSecret: string;
}

export interface NewClientAttributes extends Permissions {
  name: string;
  created_by: string;
}

export async function newClient(a: NewClientAttributes, now = new Date()): Promise<NewClient> {
  const clientSecret = base64url.encode(randomBytes(32));
  const at = now.toISOString();
  return {
    clientSecret,
    record: {
      id: uuidv7(now.getTime()),
      client_id: toHex(randomBytes(20)),
      name: a.name,
      secret_hash: await hashSecret(clientSecret),
      created_at: at,
      updated_at: at,
      scope: a.scope,
      grant_types: a.grant_types,
      created_by: a.created_by,
    },
  };
}

/**
 * A fast hash is right for a 256-bit random secret: it cannot be guessed from its digest,
 * and it keeps authentication far inside the Workers CPU budget (docs/security.md).
 */
export async function hashSecret(secret: string): Promise<string> {
  return base64url.encode(await sha256(secret));
}
