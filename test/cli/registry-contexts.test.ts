import { convertV4MiniflareOptions, Miniflare } from "miniflare";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { unstable_readConfig } from "wrangler";
import { bundle, createApplicationKey, EDGE_TOKEN_OBJECTS, ISSUER, newSigningKeys, RUN_KEK } from "../bench/workers.ts";

/**
 * The registry serving two Workers at once, in workerd as deployed (each Worker its own
 * isolate, the registry a Durable Object of one of them): token requests that wait for their
 * isolate's lease while the registry waits a second for KV, and registry requests that wait for
 * one another, all finish. workerd cancels as hung a request that awaits another request's work
 * with nothing of its own pending: the waiting token requests answered workerd's plain 500.
 */
let mf: Miniflare;
let a: URL;
let b: URL;
const errors: string[] = [];

beforeAll(async () => {
  const service = unstable_readConfig({ config: "wrangler.toml" });
  const kv = Object.fromEntries(service.kv_namespaces.map((n: { binding: string; id?: string }) => [n.binding, n.id!]));
  const bindings = { ...(service.vars as Record<string, string>), SIGNING_KEYS: await newSigningKeys(), SIGNING_KEY_KEK: RUN_KEK, ISSUER };
  const base = {
    modules: true,
    compatibilityDate: service.compatibility_date!,
    unsafeDirectSockets: [{ port: 0 }],
    kvNamespaces: kv,
    bindings,
  };
  mf = new Miniflare(
    convertV4MiniflareOptions({
      handleStructuredLogs: ({ level, message }: { level: string; message: string }) => void (level === "error" && errors.push(message)),
      workers: [
        { ...base, name: "edge-token", scriptPath: bundle("src/index.ts", "contexts-a"), durableObjects: EDGE_TOKEN_OBJECTS },
        {
          ...base,
          name: "edge-token-b",
          scriptPath: bundle("src/index.ts", "contexts-b"),
          durableObjects: {
            REGISTRY: { className: "Registry", scriptName: "edge-token" },
            CLIENT_LEDGER: { className: "ClientLedger", scriptName: "edge-token" },
            STATUS_REGIONS: { className: "StatusRegion", scriptName: "edge-token" },
          },
        },
      ],
    } as never),
  );
  await mf.ready;
  a = await mf.unsafeGetDirectURL("edge-token");
  b = await mf.unsafeGetDirectURL("edge-token-b");
}, 60_000);

afterAll(() => mf?.dispose());

const form = (p: Record<string, string>) => ({
  method: "POST",
  headers: { "Content-Type": "application/x-www-form-urlencoded" },
  body: new URLSearchParams(p).toString(),
});

describe("the registry between two Workers", () => {
  it("revocations and token requests that wait on one another in the registry all finish: no 500", async () => {
    const keys = await Promise.all(
      Array.from({ length: 8 }, (_, i) =>
        createApplicationKey(mf, { name: `k${i}`, scope: "read write", grant_types: ["client_credentials"] }),
      ),
    );
    const cc = (k: { client_id: string; client_secret: string }) => ({ grant_type: "client_credentials", ...k });
    const statuses: number[] = [];
    for (let round = 0; round < 6; round++) {
      const tokens = await Promise.all(
        keys.map(
          async (k, i) =>
            (await (await fetch(new URL("/oauth/access_token", i % 2 ? b : a), form(cc(k)))).json()) as { access_token: string },
        ),
      );
      const answers = await Promise.all([
        // revocations of one list, at both Workers: each waits for the list's write a second
        ...tokens.map((t, i) =>
          fetch(
            new URL("/oauth/revoke", i % 2 ? a : b),
            form({ token: t.access_token, client_id: keys[i]!.client_id, client_secret: keys[i]!.client_secret }),
          ),
        ),
        // and token requests meanwhile, on both
        ...keys.flatMap((k) => [
          fetch(new URL("/oauth/access_token", a), form(cc(k))),
          fetch(new URL("/oauth/access_token", b), form(cc(k))),
        ]),
      ]);
      for (const r of answers) {
        statuses.push(r.status);
        await r.arrayBuffer();
      }
    }
    expect([statuses.filter((s) => s !== 200), errors]).toStrictEqual([[], []]);
  }, 120_000);
});
