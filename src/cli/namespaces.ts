import { mkdtemp, rm, writeFile } from "node:fs/promises";
import { tmpdir } from "node:os";
import { join } from "node:path";
import type { Kv, KvPutOptions } from "../store/kv.ts";
import { wrangler } from "./wrangler.ts";

/** The subset of KV the store uses, over `wrangler kv` commands (`targetArgs` picks the namespace). */
export function wranglerKv(binding: string, targetArgs: string[]): Kv {
  const run = (args: string[]) => wrangler(["kv", ...args, "--binding", binding, ...targetArgs]);
  // A read that met a server error (KV's API, or the local one under load) is asked once more: it changes nothing.
  const read = (args: string[]) =>
    run(args).catch((error: Error) => (/failed: 5\d\d/.test(error.message) ? run(args) : Promise.reject(error)));

  async function bulkGet(keys: string[]): Promise<Map<string, string | null>> {
    const dir = await mkdtemp(join(tmpdir(), "edge-token-"));
    try {
      await writeFile(join(dir, "keys.json"), JSON.stringify(keys));
      const out = JSON.parse(await read(["bulk", "get", join(dir, "keys.json")])) as Record<string, { value: string | null }>;
      return new Map(keys.map((k) => [k, out[k]?.value ?? null]));
    } finally {
      await rm(dir, { recursive: true, force: true });
    }
  }

  const kv = {
    async get(key: string | string[], type?: "text" | "json") {
      const values = await bulkGet(Array.isArray(key) ? key : [key]);
      const decode = (v: string | null) => (v !== null && type === "json" ? JSON.parse(v) : v);
      if (Array.isArray(key)) return new Map([...values].map(([k, v]) => [k, decode(v)]));
      return decode(values.get(key) ?? null);
    },
    async put(key: string, value: string, options: KvPutOptions = {}) {
      const extra = [
        ...(options.metadata ? ["--metadata", JSON.stringify(options.metadata)] : []),
        ...(options.expiration ? ["--expiration", String(options.expiration)] : []),
        ...(options.expirationTtl ? ["--ttl", String(options.expirationTtl)] : []),
      ];
      await run(["key", "put", key, value, ...extra]);
    },
    async delete(key: string) {
      await run(["key", "delete", key]);
    },
    async list(options: { prefix?: string } = {}) {
      const keys = JSON.parse(await read(["key", "list", ...(options.prefix ? ["--prefix", options.prefix] : [])]));
      return { keys, list_complete: true, cacheStatus: null };
    },
  };
  return kv as unknown as Kv;
}
