import type { ClientRecord } from "./client-record.ts";
import { CLIENT_ID_PATTERN, clientKey } from "./keys.ts";
import type { Kv } from "./kv.ts";

export type { ClientRecord } from "./client-record.ts";

/** The record for a client_id, or null when there is none (or the id cannot be one of ours). */
export async function getClient(kv: Pick<Kv, "get">, clientId: string): Promise<ClientRecord | null> {
  if (!CLIENT_ID_PATTERN.test(clientId)) return null;
  return kv.get<ClientRecord>(clientKey(clientId), "json");
}

export async function putClient(kv: Pick<Kv, "put">, record: ClientRecord): Promise<void> {
  await kv.put(clientKey(record.client_id), JSON.stringify(record));
}
