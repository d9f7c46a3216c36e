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

/** As test/bench/counting/kv.ts counts them inside the Workers. */
interface Counts {
  reads: number;
  writes: number;
  deletes: number;
  lists: number;
  /** Durable Object requests: the registry's, a ledger's. */
  objects: number;
}

interface Ctx {
  edge: (path: string, init?: RequestInit) => Promise<Response>;
  consumer: (path: string, init?: RequestInit) => Promise<Response>;
  client: { client_id: string; client_secret: string };
  /** A client whose key has a token_quota. */
  metered: { client_id: string; client_secret: string };
  /** A fresh token of the client for APIs, signed here (the Worker has not seen it). */
  token: () => Promise<string>;
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
const c = (reads: number, writes = 0, deletes = 0, lists = 0, objects = 0): Counts => ({ reads, writes, deletes, lists, objects });
const cc = (client: { client_id: string; client_secret: string }) => new URLSearchParams({ grant_type: "client_credentials", ...client });

/**
 * Every operation on a cold isolate reads the signing keys' document (1 read: the key that signs,
 * sealed, and the public keys that verify), then holds it for CLIENT_CACHE_SECONDS; a module
 * verifier's JWKS fetch is that read at edge-token. Authenticating a client on a cold isolate:
 * the cut-offs (for the record floors), its record, then its tombstone (3 reads); warm: cached
 * for CLIENT_CACHE_SECONDS. A token request on a cold isolate also leases status list
 * indices from the registry (1 Durable Object request, then none for 64 to 4,096 tokens).
 * Checking a token: its status list and the cut-offs (2 reads) on a cold isolate, then nothing
 * for REVOCATION_CACHE_SECONDS, whatever the token and its client: nothing is read per token. A
 * module verifier fetches the same two documents from edge-token (which reads them from KV and
 * holds what it signed for a second). A revocation is one registry request; it writes its list
 * (1 write, however many revocations the list carries; no key per token). Key management is one registry request, which
 * reads no KV (a read of the admin API one more: the registry decides whether its caller is
 * live); it writes the key's state (the record: 1 write; the index only when the key is made,
 * since it never changes: 2; a narrowing the cut-offs first: 2; a deletion the cut-offs and
 * the tombstone, then the record and index go: 2 writes, 2 deletes). The cut-offs that carry a change's record floor are written by the registry's
 * alarm, after the request. A key with a token_quota asks its ledger
 * once per lease (at most 100 tokens).
 */
export const OPERATIONS: Operation[] = [
  {
    name: "client_credentials",
    run: ({ edge, client }) => edge("/oauth/access_token", { method: "POST", headers: FORM, body: cc(client) }),
    expected: { cold: c(4, 0, 0, 0, 1), warm: c(0) },
  },
  {
    name: "client_credentials, a key with a token_quota",
    run: ({ edge, metered }) => edge("/oauth/access_token", { method: "POST", headers: FORM, body: cc(metered) }),
    expected: { cold: c(4, 0, 0, 0, 2), warm: c(0) },
  },
  {
    name: "implicit",
    run: ({ edge, client }) =>
      edge("/oauth/access_token", {
        method: "POST",
        headers: FORM,
        body: new URLSearchParams({ grant_type: "implicit", client_id: client.client_id }),
      }),
    expected: { cold: c(4, 0, 0, 0, 1), warm: c(0) },
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
    expected: { cold: c(4, 1, 0, 0, 1), warm: c(0, 1, 0, 0, 1) },
  },
  {
    // Both jti (the assertion's, the proof's) go to the client's ledger in one request.
    name: "client_credentials, private_key_jwt + DPoP",
    run: async ({ edge, machine, url }) => {
      const [r] = await issuanceRequests(1, machine.keys, machine.client_id, ISSUER, url("edge", "/oauth/access_token"));
      return edge("/oauth/access_token", { method: "POST", ...r! });
    },
    expected: { cold: c(4, 0, 0, 0, 2), warm: c(0, 0, 0, 0, 1) },
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
    expected: { cold: c(3, 2, 0, 0, 1), warm: c(0, 2, 0, 0, 1) },
  },
  {
    name: "admin: list keys (a page of 3)",
    run: ({ edge, admin }) => edge("/v2/application-keys?page[limit]=3", { headers: { Authorization: `Bearer ${admin}` } }),
    expected: { cold: c(3, 0, 0, 0, 2), warm: c(0, 0, 0, 0, 2) },
  },
  {
    name: "admin: get key",
    run: async ({ edge, key, admin }) => edge(`/v2/application-keys/${key()}`, { headers: { Authorization: `Bearer ${admin}` } }),
    expected: { cold: c(3, 0, 0, 0, 2), warm: c(0, 0, 0, 0, 2) },
  },
  {
    name: "admin: rename key",
    run: async ({ edge, key, admin }) =>
      edge(`/v2/application-keys/${key()}`, {
        method: "PUT",
        headers: { ...JSON_BODY, Authorization: `Bearer ${admin}` },
        body: JSON.stringify({ data: { type: "application_key", name: "renamed" } }),
      }),
    expected: { cold: c(3, 1, 0, 0, 1), warm: c(0, 1, 0, 0, 1) },
  },
  {
    name: "admin: narrow a key's scope",
    run: async ({ edge, key, admin }) =>
      edge(`/v2/application-keys/${key()}`, {
        method: "PUT",
        headers: { ...JSON_BODY, Authorization: `Bearer ${admin}` },
        body: JSON.stringify({ data: { type: "application_key", scope: "read" } }),
      }),
    expected: { cold: c(3, 2, 0, 0, 1), warm: c(0, 2, 0, 0, 1) },
  },
  {
    name: "admin: delete key",
    run: async ({ edge, key, admin }) =>
      edge(`/v2/application-keys/${key()}`, { method: "DELETE", headers: { Authorization: `Bearer ${admin}` } }),
    expected: { cold: c(3, 2, 2, 0, 1), warm: c(0, 2, 2, 0, 1) },
  },
  {
    name: "admin: audit trail",
    run: ({ edge, admin }) => edge("/v2/application-keys/audit", { headers: { Authorization: `Bearer ${admin}` } }),
    expected: { cold: c(3, 0, 0, 0, 2), warm: c(0, 0, 0, 0, 2) },
  },
];

export interface CountRow {
  name: string;
  cold: Counts;
  warm: Counts;
  as_expected: boolean;
}

export async function countKvOperations(): Promise<CountRow[]> {
  const service = unstable_readConfig({ config: "wrangler.toml" });
  const signingKeys = await newSigningKeys();
  const edgeScript = bundle("test/bench/counting/edge-token.ts", "counted-edge-token");
  const consumerScript = bundle("test/bench/counting/consumer.ts", "counted-consumer");
  const keys = await signerOf(signingKeys);
  let idx = 1000;
  const signIn = (statusUri: string) => async (clientId: string, scope: string, audience: string) =>
    (
      await signAccessToken(keys, {
        issuer: ISSUER,
        audience,
        ttlSeconds: 3600,
        clientId,
        grant: "client_credentials",
        scope,
        keyVersion: 1,
        status: { uri: statusUri, idx: idx++ },
      })
    ).token;

  const rows: CountRow[] = [];
  for (const op of OPERATIONS) {
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
      const sign = signIn(statusUri);
      const edgeUrl = await mf.unsafeGetDirectURL("edge-token");
      const consumerUrl = await mf.unsafeGetDirectURL("consumer");
      const ctx: Ctx = {
        edge: (path, init) => fetch(new URL(path, edgeUrl), init),
        consumer: (path, init) => fetch(new URL(path, consumerUrl), init),
        client: { client_id: made.client_id, client_secret: made.client_secret },
        metered: { client_id: metered.client_id, client_secret: metered.client_secret },
        token: () => sign(made.client_id, "read write", ISSUER),
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
        const x = (await a.json()) as Counts;
        const y = (await b.json()) as Counts;
        return {
          reads: x.reads + y.reads,
          writes: x.writes + y.writes,
          deletes: x.deletes + y.deletes,
          lists: x.lists + y.lists,
          objects: x.objects + y.objects,
        };
      };
      await take(); // what making the keys cost is not the operation's
      const counts: Counts[] = [];
      for (const when of ["cold", "warm"]) {
        const res = await op.run(ctx);
        if (res.status >= 300) throw new Error(`${op.name} (${when}) answered ${res.status}: ${await res.text()}`);
        await res.arrayBuffer();
        counts.push(await take());
      }
      const [cold, warm] = counts as [Counts, Counts];
      const asExpected = JSON.stringify([cold, warm]) === JSON.stringify([op.expected.cold, op.expected.warm]);
      rows.push({ name: op.name, cold, warm, as_expected: asExpected });
      console.error(
        `  ${op.name}: cold ${JSON.stringify(cold)}, warm ${JSON.stringify(warm)}${asExpected ? "" : "  ← not the model's counts"}`,
      );
    } finally {
      await mf.dispose();
    }
  }
  return rows;
}
