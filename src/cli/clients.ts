import { writeFile, mkdtemp, rm } from "node:fs/promises";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { newClient } from "../store/client-record.ts";
import { appKeyIdKey, clientKey } from "../store/keys.ts";
import { type Target, targetArgs, wrangler } from "./wrangler.ts";

export interface CreatedClient {
  id: string;
  client_id: string;
  client_secret: string;
  name: string;
}

/**
 * Writes a new client straight to the CLIENTS namespace, as the admin API does. Both keys go
 * in one bulk write; the record is built here, so no server secret is needed.
 */
export async function createClient(name: string, target: Target): Promise<CreatedClient> {
  const { record, clientSecret } = await newClient(name);
  const dir = await mkdtemp(join(tmpdir(), "edge-token-"));
  const file = join(dir, "bulk.json");
  try {
    await writeFile(
      file,
      JSON.stringify([
        { key: clientKey(record.client_id), value: JSON.stringify(record) },
        { key: appKeyIdKey(record.id), value: record.client_id },
      ]),
      { mode: 0o600 },
    );
    await wrangler(["kv", "bulk", "put", file, "--binding", "CLIENTS", ...targetArgs(target)]);
  } finally {
    await rm(dir, { recursive: true, force: true });
  }
  return { id: record.id, client_id: record.client_id, client_secret: clientSecret, name: record.name };
}
