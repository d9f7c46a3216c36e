import { nowSeconds } from "../lib/time.ts";
import type { ApplicationKey } from "./application-keys.ts";
import { checkedPayload } from "./authenticated.ts";
import type { Kv } from "./kv.ts";
import { appKeyIdKey, clientKey, deletedClientKey, revokedClientKey, revokedTokenKey } from "./kv-keys.ts";

/**
 * Keys written to KV by versions before the registry, read back so the registry can take them
 * in: live records (with whatever permissions they carry; a record from before scopes keeps
 * its legacy permissions), tombstones, and client-wide revocations. Read once, on the
 * registry's first use, and never again.
 */
export interface LegacyKey {
  record: ApplicationKey;
  /** Set for a key deleted before the import: it stays deleted. */
  deleted_at: string | null;
  revocation: number | undefined;
}

/** KV reads at most 100 keys in one bulk get. */
const BULK = 100;

async function listAll(kv: Kv, prefix: string): Promise<{ name: string; expiration?: number; metadata?: { client_id?: string } }[]> {
  const out: { name: string; expiration?: number; metadata?: { client_id?: string } }[] = [];
  let cursor: string | undefined;
  do {
    const page = await kv.list<{ client_id?: string }>({ prefix, ...(cursor ? { cursor } : {}) });
    out.push(...page.keys);
    cursor = page.list_complete ? undefined : page.cursor;
  } while (cursor);
  return out;
}

async function getMany(kv: Kv, keys: string[]): Promise<Map<string, string | null>> {
  const out = new Map<string, string | null>();
  for (let i = 0; i < keys.length; i += BULK) {
    for (const [k, v] of await kv.get(keys.slice(i, i + BULK), "text")) out.set(k, v);
  }
  return out;
}

const revocationOf = (value: string | null | undefined) => (value == null || !/^\d+$/.test(value) ? undefined : Number(value));

/**
 * The values at `keys`, as versions before the registry wrote them (plain JSON, taken as they
 * are: KV was the authority then), or as this version writes them (an envelope, taken only when
 * it checks out under the KEK: a registry made anew over KV this version wrote believes only
 * what a registry wrote). Anything else is left out.
 */
async function valuesOf(kv: Kv, keys: string[], kekSecret: string | undefined): Promise<Map<string, string>> {
  const out = new Map<string, string>();
  const now = nowSeconds();
  for (const [key, text] of await getMany(kv, keys)) {
    if (text === null) continue;
    const payload = text.startsWith("et1.") ? await checkedPayload(kekSecret, key, text, now) : text;
    if (payload !== undefined) out.set(key, payload);
  }
  return out;
}

/** JSON.parse, or undefined for a value no version wrote. */
function parsed<T>(text: string | undefined): T | undefined {
  if (text === undefined) return undefined;
  try {
    return JSON.parse(text) as T;
  } catch {
    return undefined;
  }
}

/** Every key KV holds: through the id index, with the records, tombstones and revocations. */
export async function readLegacyKeys(clients: Kv, revocations: Kv, kekSecret: string | undefined): Promise<LegacyKey[]> {
  const index = await listAll(clients, appKeyIdKey(""));
  const unlabelled = index.filter((k) => !k.metadata?.client_id).map((k) => k.name);
  const labels = await valuesOf(clients, unlabelled, kekSecret);
  const ids = new Map<string, string>(); // client_id → id
  for (const k of index) {
    const clientId = k.metadata?.client_id ?? labels.get(k.name);
    if (clientId) ids.set(clientId, k.name.slice(appKeyIdKey("").length));
  }
  // Deleted keys have no index entry any more: their tombstones name them.
  const tombstones = await listAll(clients, deletedClientKey(""));
  const clientIds = [...new Set([...ids.keys(), ...tombstones.map((t) => t.name.slice(deletedClientKey("").length))])];
  const values = await valuesOf(
    clients,
    clientIds.flatMap((c) => [clientKey(c), deletedClientKey(c)]),
    kekSecret,
  );
  const revoked = await getMany(revocations, clientIds.map(revokedClientKey));

  const keys: LegacyKey[] = [];
  for (const clientId of clientIds) {
    const tombstone = parsed<{ id: string; deleted_at: string }>(values.get(deletedClientKey(clientId)));
    const stored = parsed<ApplicationKey>(values.get(clientKey(clientId)));
    const revocation = revocationOf(revoked.get(revokedClientKey(clientId)));
    if (tombstone) {
      const { id, deleted_at } = tombstone;
      keys.push({ record: stored ?? tombstoneRecord(id, clientId, deleted_at), deleted_at, revocation });
    } else if (stored) {
      keys.push({ record: stored, deleted_at: null, revocation });
    }
  }
  return keys;
}

/**
 * Tokens revoked by versions before status lists, one `jti:` key each: their jti and how long
 * the entry matters (its KV expiration, the token's exp plus the clock skew). Their client is
 * not needed and not read: the cut-offs document names them by jti alone.
 */
export async function readLegacyTokenRevocations(revocations: Kv): Promise<{ jti: string; client_id: string; until: number }[]> {
  const prefix = revokedTokenKey("");
  return (await listAll(revocations, prefix))
    .filter((k) => k.expiration !== undefined)
    .map((k) => ({ jti: k.name.slice(prefix.length), client_id: "", until: k.expiration! }));
}

/** What is left of a key whose record an earlier deletion already removed. */
function tombstoneRecord(id: string, clientId: string, deletedAt: string): ApplicationKey {
  return { id, client_id: clientId, name: "", secret_hash: "", created_at: deletedAt, updated_at: deletedAt };
}
