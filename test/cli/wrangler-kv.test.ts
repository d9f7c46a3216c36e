import { mkdtemp, rm } from "node:fs/promises";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { wranglerKv } from "../../src/cli/namespaces.ts";
import { createAppKey, deleteAppKey, getAppKey, listAppKeys } from "../../src/store/application-key-store.ts";

/**
 * `--remote` runs the store code over `wrangler kv` commands. There is no Cloudflare account
 * here, so the same commands run against local storage: the plumbing is what is under test.
 */
let state: string;
beforeAll(async () => {
  state = await mkdtemp(join(tmpdir(), "edge-token-wkv-"));
});
afterAll(() => rm(state, { recursive: true, force: true }));

describe("the store over wrangler kv commands", () => {
  it("creates, finds, lists and deletes an application key", async () => {
    const target = ["--local", "--persist-to", state];
    const clients = wranglerKv("CLIENTS", target);
    const revocations = wranglerKv("REVOCATIONS", target);

    const { record } = await createAppKey(clients, {
      name: "remote key",
      scope: "read write",
      grant_types: ["client_credentials", "implicit"],
      created_by: "test",
    });
    expect(await getAppKey(clients, record.id)).toStrictEqual(record);
    expect(await listAppKeys(clients, 25, 0)).toStrictEqual({ records: [record], total: 1 });
    expect(await deleteAppKey(clients, revocations, record.id)).not.toBeNull();
    expect(await getAppKey(clients, record.id)).toBeNull();
    expect(await revocations.get(`client:${record.client_id}`)).toMatch(/^\d+$/);
  }, 120_000);
});
