import { mkdtemp, rm } from "node:fs/promises";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { wranglerKv } from "../../src/cli/namespaces.ts";
import { anyApplicationKey } from "../../src/store/application-keys.ts";

/**
 * `npm run deploy` asks KV's copy whether a deployment has keys yet, over `wrangler kv`
 * commands. There is no Cloudflare account here, so the same commands run against local
 * storage: the plumbing is what is under test.
 */
let state: string;
const logLevel = process.env.WRANGLER_LOG;
beforeAll(async () => {
  state = await mkdtemp(join(tmpdir(), "edge-token-wkv-"));
  // As the CLI leaves it when it has quieted Miniflare: wrangler must still print its results.
  process.env.WRANGLER_LOG = "error";
});
afterAll(async () => {
  if (logLevel === undefined) delete process.env.WRANGLER_LOG;
  else process.env.WRANGLER_LOG = logLevel;
  await rm(state, { recursive: true, force: true });
});

describe("KV over wrangler kv commands", () => {
  it("puts, reads one and many, lists with metadata, deletes; and tells whether any key exists", async () => {
    const clients = wranglerKv("CLIENTS", ["--local", "--persist-to", state]);
    expect(await anyApplicationKey(clients)).toBe(false);
    await clients.put("appkey:0190", "c".repeat(40), { metadata: { client_id: "c".repeat(40) } });
    await clients.put("client:x", JSON.stringify({ id: "0190" }));
    // Reads do not depend on each other: one wrangler process each, at once.
    const [any, one, many, listed] = await Promise.all([
      anyApplicationKey(clients),
      clients.get("client:x", "json"),
      clients.get(["client:x", "client:y"], "text"),
      clients.list({ prefix: "appkey:" }),
    ]);
    expect(any).toBe(true);
    expect(one).toStrictEqual({ id: "0190" });
    expect(many).toStrictEqual(
      new Map([
        ["client:x", '{"id":"0190"}'],
        ["client:y", null],
      ]),
    );
    expect(listed.keys).toStrictEqual([{ name: "appkey:0190", metadata: { client_id: "c".repeat(40) } }]);
    await clients.delete("appkey:0190");
    expect(await anyApplicationKey(clients)).toBe(false);
  }, 120_000);
});
