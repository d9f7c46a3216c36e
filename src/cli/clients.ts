import { createAppKey, deleteAppKey, listAppKeys } from "../store/application-keys.ts";
import { type Namespaces, openNamespaces, type Target } from "./kv.ts";

/** What `keys create` prints: the only time the secret is shown. */
export interface CreatedClient {
  id: string;
  client_id: string;
  client_secret: string;
  name: string;
}

async function withNamespaces<T>(target: Target, fn: (ns: Namespaces) => Promise<T>): Promise<T> {
  const ns = await openNamespaces(target);
  try {
    return await fn(ns);
  } finally {
    await ns.close();
  }
}

/** The same store code as the admin API's POST: index first, record second. */
export function createClient(name: string, target: Target): Promise<CreatedClient> {
  return withNamespaces(target, async ({ CLIENTS }) => {
    const { record, clientSecret } = await createAppKey(CLIENTS, name);
    return { id: record.id, client_id: record.client_id, client_secret: clientSecret, name: record.name };
  });
}

export function listClients(target: Target) {
  return withNamespaces(target, async ({ CLIENTS }) => {
    const all = [];
    for (let offset = 0; ; offset += 100) {
      const { records, total } = await listAppKeys(CLIENTS, 100, offset);
      all.push(...records.map(({ id, client_id, name, created_at, updated_at }) => ({ id, client_id, name, created_at, updated_at })));
      if (offset + 100 >= total) return all;
    }
  });
}

/** As the admin API's DELETE: every token of the key is revoked before the key goes. */
export function deleteClient(id: string, target: Target): Promise<boolean> {
  return withNamespaces(target, ({ CLIENTS, REVOCATIONS }) => deleteAppKey(CLIENTS, REVOCATIONS, id));
}
