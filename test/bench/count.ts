/**
 * The capacity model's input: KV operations and Durable Object requests per operation, on a cold
 * isolate (the first request of its kind a fresh workerd sees) and on a warm one (the same kind
 * of request right after). Each operation gets a fresh workerd; what it needs (keys, tokens) is
 * made by the registry or signed here in Node before counting starts. edge-token (the registry's
 * own write-through included) and the fixture consumer run with their bindings counted
 * (test/bench/counting/). Reads are counted per key, as KV bills them; a Durable Object request
 * per RPC call, as Durable Objects bill them.
 *
 * The expected counts are the model docs/benchmark.md states; a count that differs fails the bench.
 */
import { convertV4MiniflareOptions, Miniflare } from "miniflare";
import { unstable_readConfig } from "wrangler";
import type { Grant } from "../../src/oauth/claims.ts";
import { adminAudience } from "../../src/oauth/resource.ts";
import { signAccessToken } from "../../src/tokens/sign.ts";
import { signerOf } from "../support/signer.ts";
import { issuanceRequests, type PossessionKeys, possessionKeys, verificationRequests } from "./fresh-requests.ts";
import {
  BENCH_SCOPE,
  bundle,
  createApplicationKey,
  createMachineKey,
  edgeTokenAndConsumer,
  ISSUER,
  makeSigningKeys,
  newSigningKeys,
  statusListOf,
} from "./workers.ts";

/** As test/bench/counting/kv.ts counts them inside the Workers, the Durable Object requests by binding. */
export interface Counts {
  reads: number;
  writes: number;
  deletes: number;
  lists: number;
  /** Durable Object requests to the registry (REGISTRY), to a region's status object (STATUS_REGIONS), to a client's ledger (CLIENT_LEDGER). */
  registry: number;
  status: number;
  ledger: number;
}

/** What test/bench/counting/kv.ts answers. */
interface Counted {
  reads: number;
  writes: number;
  deletes: number;
  lists: number;
  objects: Record<string, number>;
}

interface Ctx {
  edge: (path: string, init?: RequestInit) => Promise<Response>;
  consumer: (path: string, init?: RequestInit) => Promise<Response>;
  client: { client_id: string; client_secret: string };
  /** A client whose key has a token_quota. */
  metered: { client_id: string; client_secret: string };
  /** A fresh token of the client for APIs, signed here (the Worker has not seen it). */
  token: () => Promise<string>;
  /** A fresh implicit token of the client (a storefront's, held by browser code), signed here. */
  implicitToken: () => Promise<string>;
  /** A fresh token of a client never seen, signed here. */
  fresh: () => Promise<string>;
  /** The client's token for APIs, and its token for the admin API (both signed here). */
  api: string;
  admin: string;
  /** An application key's id, made before counting started. */
  key: () => string;
  /** A private_key_jwt key, with the keys its assertions and proofs are signed with. */
  machine: { client_id: string; keys: PossessionKeys };
  /** The absolute URL a request to `path` of the Worker is sent to (what a DPoP proof's htu names). */
  url: (worker: "edge" | "consumer", path: string) => string;
  signingKeys: string;
  /** The status list the tokens signed here name. */
  statusUri: string;
}

interface Operation {
  name: string;
  /** One request; called twice, cold then warm. */
  run: (c: Ctx) => Promise<Response>;
  expected: { cold: Counts; warm: Counts };
}

const FORM = { "Content-Type": "application/x-www-form-urlencoded" };
const JSON_BODY = { "Content-Type": "application/json" };
type Objects = { registry?: number; status?: number; ledger?: number };
const c = (reads: number, writes = 0, deletes = 0, lists = 0, o: Objects = {}): Counts => ({
  reads,
  writes,
  deletes,
  lists,
  registry: o.registry ?? 0,
  status: o.status ?? 0,
  ledger: o.ledger ?? 0,
});
/** A request the counts are taken of, made in the Worker's own process: the two Workers' counts added. */
const add = (x: Counted, y: Counted): Counts => {
  const o = (b: string) => (x.objects[b] ?? 0) + (y.objects[b] ?? 0);
  const unknown = [...Object.keys(x.objects), ...Object.keys(y.objects)].filter(
    (b) => !["REGISTRY", "STATUS_REGIONS", "CLIENT_LEDGER"].includes(b),
  );
  if (unknown.length > 0) throw new Error(`Durable Object requests to a binding the model does not know: ${unknown.join(", ")}`);
  return {
    reads: x.reads + y.reads,
    writes: x.writes + y.writes,
    deletes: x.deletes + y.deletes,
    lists: x.lists + y.lists,
    registry: o("REGISTRY"),
    status: o("STATUS_REGIONS"),
    ledger: o("CLIENT_LEDGER"),
  };
};
const cc = (client: { client_id: string; client_secret: string }) => new URLSearchParams({ grant_type: "client_credentials", ...client });

/**
 * Every operation on a cold isolate reads the signing keys' document (1 read: the key that signs,
 * sealed, and the public keys that verify), then holds it for CLIENT_CACHE_SECONDS; a module
 * verifier's JWKS fetch is that read at edge-token. Authenticating a client on a cold isolate:
 * the cut-offs (for the record floors), its record, then its tombstone (3 reads); warm: cached
 * for CLIENT_CACHE_SECONDS. A token request on a cold isolate also leases status list indices
 * from its region's status object (1 request to STATUS_REGIONS, then none for the rest of the
 * range: 64 indices first, doubling to 4,096; countLeases below); no token request asks the
 * registry. Checking a token: its status list and the cut-offs (2 reads) on a cold isolate,
 * then nothing for REVOCATION_CACHE_SECONDS, whatever the token and its client: nothing is read
 * per token and no object is asked. A module verifier fetches the same two documents from
 * edge-token (which reads them from KV and holds what it signed for a second). A revocation is
 * one request to the status object that owns the token's list (the registry is not asked); it
 * writes that list (1 write, however many revocations the list carries; no key per token). Key
 * management is one registry request, which reads no KV, and the registry asks the status
 * object that owns the caller's token whether its bit is set (1 status-object request); a read
 * of the admin API is one registry request more (the registry decides whether its caller is
 * live). It writes the key's state (the record: 1 write; the index only when the key is made,
 * since it never changes: 2; a narrowing the cut-offs first: 2; a deletion the cut-offs and the
 * tombstone, then the record and index go: 2 writes, 2 deletes). The cut-offs that carry a
 * change's record floor are written by the registry's alarm, after the request. A key with a
 * token_quota asks its ledger once per lease (at most 100 tokens); a private_key_jwt or DPoP
 * request asks its client's ledger once per token (both jti used once).
 */
export const OPERATIONS: Operation[] = [
  {
    name: "client_credentials",
    run: ({ edge, client }) => edge("/oauth/access_token", { method: "POST", headers: FORM, body: cc(client) }),
    expected: { cold: c(4, 0, 0, 0, { status: 1 }), warm: c(0) },
  },
  {
    name: "client_credentials, a key with a token_quota",
    run: ({ edge, metered }) => edge("/oauth/access_token", { method: "POST", headers: FORM, body: cc(metered) }),
    expected: { cold: c(4, 0, 0, 0, { status: 1, ledger: 1 }), warm: c(0) },
  },
  {
    name: "implicit",
    run: ({ edge, client }) =>
      edge("/oauth/access_token", {
        method: "POST",
        headers: FORM,
        body: new URLSearchParams({ grant_type: "implicit", client_id: client.client_id }),
      }),
    expected: { cold: c(4, 0, 0, 0, { status: 1 }), warm: c(0) },
  },
  {
    name: "introspect",
    run: async ({ edge, client, api }) =>
      edge("/oauth/introspect", { method: "POST", headers: FORM, body: new URLSearchParams({ token: api, ...client }) }),
    expected: { cold: c(6), warm: c(0) },
  },
  {
    name: "revoke",
    run: async ({ edge, client, token }) =>
      edge("/oauth/revoke", { method: "POST", headers: FORM, body: new URLSearchParams({ token: await token(), ...client }) }),
    expected: { cold: c(4, 1, 0, 0, { status: 1 }), warm: c(0, 1, 0, 0, { status: 1 }) },
  },
  {
    // The storefront's case: an implicit token revoked with nothing but the public client_id.
    name: "revoke, an implicit token with only the client_id",
    run: async ({ edge, client, implicitToken }) =>
      edge("/oauth/revoke", {
        method: "POST",
        headers: { ...FORM, "CF-Connecting-IP": "192.0.2.7" },
        body: new URLSearchParams({ token: await implicitToken(), client_id: client.client_id }),
      }),
    expected: { cold: c(4, 1, 0, 0, { status: 1 }), warm: c(0, 1, 0, 0, { status: 1 }) },
  },
  {
    // Both jti (the assertion's, the proof's) go to the client's ledger in one request.
    name: "client_credentials, private_key_jwt + DPoP",
    run: async ({ edge, machine, url }) => {
      const [r] = await issuanceRequests(1, machine.keys, machine.client_id, ISSUER, url("edge", "/oauth/access_token"));
      return edge("/oauth/access_token", { method: "POST", ...r! });
    },
    expected: { cold: c(4, 0, 0, 0, { status: 1, ledger: 1 }), warm: c(0, 0, 0, 0, { ledger: 1 }) },
  },
  {
    name: "verify_rpc",
    run: ({ consumer, api }) => consumer("/rpc/catalog", { headers: { Authorization: `Bearer ${api}` } }),
    expected: { cold: c(3), warm: c(0) },
  },
  {
    name: "verify_module",
    run: ({ consumer, api }) => consumer("/module/catalog", { headers: { Authorization: `Bearer ${api}` } }),
    expected: { cold: c(3), warm: c(0) },
  },
  {
    // A fresh DPoP-bound token each time: warm, nothing is read for it.
    name: "verify_module, a fresh DPoP-bound token",
    run: async ({ consumer, machine, url, signingKeys, statusUri }) => {
      const target = url("consumer", "/module/catalog");
      const o = { signingKeys, issuer: ISSUER, statusUri, clientId: machine.client_id, url: target };
      const [r] = await verificationRequests(1, machine.keys, o);
      return consumer("/module/catalog", r!);
    },
    expected: { cold: c(3), warm: c(0) },
  },
  {
    name: "verify_rpc, a fresh token of a client never seen",
    run: async ({ consumer, fresh }) => consumer("/rpc/catalog", { headers: { Authorization: `Bearer ${await fresh()}` } }),
    expected: { cold: c(3), warm: c(0) },
  },
  {
    // What a verifier of another Worker fetches once per cache period: the list, then the cut-offs.
    name: "GET a status list, then the cut-offs",
    run: async ({ edge, statusUri }) => {
      await (await edge(new URL(statusUri).pathname)).arrayBuffer();
      return edge("/oauth/cutoffs");
    },
    expected: { cold: c(3), warm: c(0) },
  },
  {
    name: "admin: create key",
    run: ({ edge, admin }) =>
      edge("/v2/application-keys", {
        method: "POST",
        headers: { ...JSON_BODY, Authorization: `Bearer ${admin}` },
        body: JSON.stringify({ data: { type: "application_key", name: "counted" } }),
      }),
    expected: { cold: c(3, 2, 0, 0, { registry: 1, status: 1 }), warm: c(0, 2, 0, 0, { registry: 1, status: 1 }) },
  },
  {
    name: "admin: list keys (a page of 3)",
    run: ({ edge, admin }) => edge("/v2/application-keys?page[limit]=3", { headers: { Authorization: `Bearer ${admin}` } }),
    expected: { cold: c(3, 0, 0, 0, { registry: 2, status: 1 }), warm: c(0, 0, 0, 0, { registry: 2, status: 1 }) },
  },
  {
    name: "admin: get key",
    run: async ({ edge, key, admin }) => edge(`/v2/application-keys/${key()}`, { headers: { Authorization: `Bearer ${admin}` } }),
    expected: { cold: c(3, 0, 0, 0, { registry: 2, status: 1 }), warm: c(0, 0, 0, 0, { registry: 2, status: 1 }) },
  },
  {
    name: "admin: rename key",
    run: async ({ edge, key, admin }) =>
      edge(`/v2/application-keys/${key()}`, {
        method: "PUT",
        headers: { ...JSON_BODY, Authorization: `Bearer ${admin}` },
        body: JSON.stringify({ data: { type: "application_key", name: "renamed" } }),
      }),
    expected: { cold: c(3, 1, 0, 0, { registry: 1, status: 1 }), warm: c(0, 1, 0, 0, { registry: 1, status: 1 }) },
  },
  {
    name: "admin: narrow a key's scope",
    run: async ({ edge, key, admin }) =>
      edge(`/v2/application-keys/${key()}`, {
        method: "PUT",
        headers: { ...JSON_BODY, Authorization: `Bearer ${admin}` },
        body: JSON.stringify({ data: { type: "application_key", scope: "read" } }),
      }),
    expected: { cold: c(3, 2, 0, 0, { registry: 1, status: 1 }), warm: c(0, 2, 0, 0, { registry: 1, status: 1 }) },
  },
  {
    name: "admin: delete key",
    run: async ({ edge, key, admin }) =>
      edge(`/v2/application-keys/${key()}`, { method: "DELETE", headers: { Authorization: `Bearer ${admin}` } }),
    expected: { cold: c(3, 2, 2, 0, { registry: 1, status: 1 }), warm: c(0, 2, 2, 0, { registry: 1, status: 1 }) },
  },
  {
    name: "admin: audit trail",
    run: ({ edge, admin }) => edge("/v2/application-keys/audit", { headers: { Authorization: `Bearer ${admin}` } }),
    expected: { cold: c(3, 0, 0, 0, { registry: 2, status: 1 }), warm: c(0, 0, 0, 0, { registry: 2, status: 1 }) },
  },
];

export interface CountRow {
  name: string;
  cold: Counts;
  warm: Counts;
  as_expected: boolean;
}

/** A fresh workerd with edge-token and the consumer counted, what the operations need made, and a way to take the counts. */
async function withCountedWorkers<T>(run: (ctx: Ctx, take: () => Promise<Counts>) => Promise<T>): Promise<T> {
  const { service, signingKeys, edgeScript, consumerScript, keys } = await shared();
  const mf = new Miniflare(
    convertV4MiniflareOptions({
      handleStructuredLogs: () => {},
      workers: edgeTokenAndConsumer({ service, signingKeys, edgeScript, consumerScript }),
    } as never),
  );
  try {
    await mf.ready;
    const grants = ["client_credentials", "implicit"];
    const made = await createApplicationKey(mf, { name: "counted", scope: "read write application_keys", grant_types: grants });
    const metered = await createApplicationKey(mf, {
      name: "metered",
      scope: BENCH_SCOPE,
      grant_types: grants,
      token_quota: { per_hour: 1_000_000 },
    });
    // Targets for the key operations, cold and warm; with the two above, the page the listing reads.
    const targets = [
      await createApplicationKey(mf, { name: "a", scope: BENCH_SCOPE, grant_types: grants }),
      await createApplicationKey(mf, { name: "b", scope: BENCH_SCOPE, grant_types: grants }),
    ];
    const possession = await possessionKeys();
    const machine = await createMachineKey(mf, possession);
    const statusUri = await statusListOf(mf);
    // The deployment's signing keys, in the registry and in KV, as they are after its first request.
    await makeSigningKeys(mf);
    const sign = (clientId: string, scope: string, audience: string, grant: Grant = "client_credentials") =>
      signedToken(keys, { clientId, scope, audience, grant, statusUri });
    const edgeUrl = await mf.unsafeGetDirectURL("edge-token");
    const consumerUrl = await mf.unsafeGetDirectURL("consumer");
    const ctx: Ctx = {
      edge: (path, init) => fetch(new URL(path, edgeUrl), init),
      consumer: (path, init) => fetch(new URL(path, consumerUrl), init),
      client: { client_id: made.client_id, client_secret: made.client_secret },
      metered: { client_id: metered.client_id, client_secret: metered.client_secret },
      token: () => sign(made.client_id, "read write", ISSUER),
      implicitToken: () => sign(made.client_id, "read", ISSUER, "implicit"),
      fresh: () =>
        sign(Array.from({ length: 40 }, () => "0123456789abcdef"[Math.floor(Math.random() * 16)]).join(""), "read write", ISSUER),
      api: await sign(made.client_id, "read write", ISSUER),
      admin: await sign(made.client_id, "read write application_keys", adminAudience(ISSUER)),
      key: () => targets.shift()!.id,
      machine: { client_id: machine.client_id, keys: possession },
      url: (worker, path) => new URL(path, worker === "edge" ? edgeUrl : consumerUrl).href,
      signingKeys,
      statusUri,
    };
    const take = async (): Promise<Counts> => {
      const [a, b] = await Promise.all([ctx.edge("/__kv"), ctx.consumer("/__kv")]);
      return add((await a.json()) as Counted, (await b.json()) as Counted);
    };
    await take(); // what making the keys cost is not the operation's
    return await run(ctx, take);
  } finally {
    await mf.dispose();
  }
}

/** What every fresh workerd of the counting run shares: the configuration, the signing keys, the bundles. */
let sharedOnce:
  | Promise<{
      service: ReturnType<typeof unstable_readConfig>;
      signingKeys: string;
      edgeScript: string;
      consumerScript: string;
      keys: Awaited<ReturnType<typeof signerOf>>;
    }>
  | undefined;
const shared = () =>
  (sharedOnce ??= (async () => {
    const signingKeys = await newSigningKeys();
    return {
      service: unstable_readConfig({ config: "wrangler.toml" }),
      signingKeys,
      edgeScript: bundle("test/bench/counting/edge-token.ts", "counted-edge-token"),
      consumerScript: bundle("test/bench/counting/consumer.ts", "counted-consumer"),
      keys: await signerOf(signingKeys),
    };
  })());

/** A token signed here as the service signs one, each at an index of its own in the list `statusUri` names. */
let nextIdx = 1000;
async function signedToken(
  keys: Awaited<ReturnType<typeof signerOf>>,
  o: { clientId: string; scope: string; audience: string; grant: Grant; statusUri: string },
): Promise<string> {
  const { token } = await signAccessToken(keys, {
    issuer: ISSUER,
    audience: o.audience,
    ttlSeconds: 3600,
    clientId: o.clientId,
    grant: o.grant,
    scope: o.scope,
    keyVersion: 1,
    status: { uri: o.statusUri, idx: nextIdx++ },
  });
  return token;
}

export async function countKvOperations(): Promise<CountRow[]> {
  const rows: CountRow[] = [];
  for (const op of OPERATIONS) {
    rows.push(
      await withCountedWorkers(async (ctx, take) => {
        const counts: Counts[] = [];
        for (const when of ["cold", "warm"]) {
          const res = await op.run(ctx);
          if (res.status >= 300) throw new Error(`${op.name} (${when}) answered ${res.status}: ${await res.text()}`);
          await res.arrayBuffer();
          counts.push(await take());
        }
        const [cold, warm] = counts as [Counts, Counts];
        const asExpected = JSON.stringify([cold, warm]) === JSON.stringify([op.expected.cold, op.expected.warm]);
        console.error(
          `  ${op.name}: cold ${JSON.stringify(cold)}, warm ${JSON.stringify(warm)}${asExpected ? "" : "  ← not the model's counts"}`,
        );
        return { name: op.name, cold, warm, as_expected: asExpected };
      }),
    );
  }
  return rows;
}

/**
 * The index leases of one isolate, from its first token on: each range is 64 indices at first
 * and twice the last when it was used up, up to 4,096 (src/lib/limits.ts), and costs one
 * request to the region's status object, and nothing of the registry or a ledger.
 */
export const LEASE_SIZES = [64, 128, 256, 512, 1024, 2048, 4096, 4096];

export interface LeaseRow {
  grant: "client_credentials" | "implicit";
  /** The tokens of this isolate the range covers: `first` to `last`, counted from its first. */
  first: number;
  last: number;
  lease: number;
  counts: Counts;
  /** One status-object request for the range, none of the registry or a ledger. */
  as_expected: boolean;
}

/**
 * Token requests in a fresh workerd, one lease's range at a time (16 at once, but for the
 * isolate's first token), the counts taken after each range: one status-object request each,
 * whatever the concurrency. KV reads are reported, not held to the model: a range that outlasts
 * CLIENT_CACHE_SECONDS reads the client's record again.
 */
export async function countLeases(): Promise<LeaseRow[]> {
  const rows: LeaseRow[] = [];
  for (const grant of ["client_credentials", "implicit"] as const) {
    await withCountedWorkers(async (ctx, take) => {
      const body =
        grant === "client_credentials" ? cc(ctx.client) : new URLSearchParams({ grant_type: "implicit", client_id: ctx.client.client_id });
      let first = 1;
      for (const lease of LEASE_SIZES) {
        let sent = 0;
        const one = async (upTo: number) => {
          while (sent < upTo) {
            sent++;
            const res = await ctx.edge("/oauth/access_token", { method: "POST", headers: FORM, body });
            if (res.status !== 200) throw new Error(`${grant} answered ${res.status}: ${await res.text()}`);
            await res.arrayBuffer();
          }
        };
        // The isolate's first token alone: concurrent first requests would each read the client's record (nothing coalesces those reads).
        if (first === 1) await one(1);
        await Promise.all(Array.from({ length: 16 }, () => one(lease)));
        const counts = await take();
        const asExpected = counts.status === 1 && counts.registry === 0 && counts.ledger === 0;
        rows.push({ grant, first, last: first + lease - 1, lease, counts, as_expected: asExpected });
        console.error(
          `  ${grant} tokens ${first}–${first + lease - 1}: ${JSON.stringify(counts)}${asExpected ? "" : "  ← not the model's counts"}`,
        );
        first += lease;
      }
    });
  }
  return rows;
}
