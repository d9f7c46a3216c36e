import { mkdirSync } from "node:fs";
import { join } from "node:path";
import { buildSync } from "esbuild";
import { calculateJwkThumbprint, exportJWK, generateKeyPair } from "jose";
import { convertV4MiniflareOptions, Miniflare } from "miniflare";
import { unstable_readConfig } from "wrangler";
import { hashSecret } from "../../src/store/application-keys.ts";
import { type NewKey, REGISTRY_NAME } from "../../src/store/registry-protocol.ts";
import { type PossessionKeys, possessionKeys } from "./fresh-requests.ts";

export const ISSUER = "https://auth.bench";
const OUT = "test/fixtures/.build/bench";

export function bundle(entry: string, name: string): string {
  mkdirSync(OUT, { recursive: true });
  const outfile = join(OUT, `${name}.mjs`);
  buildSync({
    entryPoints: [entry],
    outfile,
    bundle: true,
    minify: true,
    format: "esm",
    platform: "neutral",
    external: ["cloudflare:*"],
    loader: { ".md": "text" },
    // A recipe imports the verifier by the package's name, as another Worker would.
    alias: { "edge-token/verify": "./src/verify.ts", "edge-token/rpc": "./src/rpc-contract.ts" },
    logLevel: "warning",
  });
  return outfile;
}

export interface Workers {
  mf: Miniflare;
  urls: {
    edge: URL;
    consumer: URL;
    noop: URL;
    floorIssue: URL;
    floorVerify: URL;
    floorVerifyRpc: URL;
    floorIssueDpop: URL;
    floorVerifyDpop: URL;
  };
  client: { client_id: string; client_secret: string };
  /** A client whose key has a token_quota (large enough never to be reached): what counting costs. */
  metered: { client_id: string; client_secret: string };
  /** A key that holds no secret (private_key_jwt), with the keys its requests are signed with. */
  machine: { client_id: string; keys: PossessionKeys };
  /** The signing keys, for tokens made in Node (DPoP verification's fresh tokens). */
  signingKeys: string;
  /** A status list of edge-token's, for the tokens made in Node to name. */
  statusUri: string;
  /** floor_issue's own client, held in its memory. */
  floorClient: { client_id: string; client_secret: string };
}

/** The scope the bench client holds, so that edge-token's and the floor's tokens are the same size. */
export const BENCH_SCOPE = "read write";

/**
 * edge-token, the fixture consumer bound to its TokenVerifier, and a no-op Worker, all in one
 * workerd through Miniflare's API (no wrangler dev proxy), each on its own socket. Settings,
 * KV namespaces and rate limits come from wrangler.toml; KV is in memory and seeded with a client.
 */
/**
 * edge-token and the fixture consumer bound to it, as Miniflare workers: the bench and the
 * KV counting run (count.ts) differ only in the scripts and in whether rate limits are bound.
 */
export function edgeTokenAndConsumer(o: {
  service: ReturnType<typeof unstable_readConfig>;
  signingKeys: string;
  edgeScript: string;
  consumerScript: string;
  ratelimits?: Record<string, unknown>;
}) {
  const kv = Object.fromEntries(o.service.kv_namespaces.map((n: { binding: string; id?: string }) => [n.binding, n.id!]));
  const compatibilityDate = o.service.compatibility_date!;
  return [
    {
      name: "edge-token",
      modules: true,
      scriptPath: o.edgeScript,
      compatibilityDate,
      kvNamespaces: kv,
      durableObjects: EDGE_TOKEN_OBJECTS,
      ...(o.ratelimits ? { ratelimits: o.ratelimits } : {}),
      bindings: { ...(o.service.vars as Record<string, string>), SIGNING_KEYS: o.signingKeys, SIGNING_KEY_KEK: RUN_KEK, ISSUER },
      unsafeDirectSockets: [{ port: 0 }],
    },
    {
      name: "consumer",
      modules: true,
      scriptPath: o.consumerScript,
      compatibilityDate,
      serviceBindings: { AUTH: { name: "edge-token", entrypoint: "TokenVerifier" }, EDGE_TOKEN: "edge-token" },
      bindings: { ISSUER },
      unsafeDirectSockets: [{ port: 0 }],
    },
  ];
}

/** The bench's metered key: counted like any quota, never reached. */
export const QUOTA = { per_hour: 1_000_000_000 };

/** edge-token's Durable Objects, as wrangler.toml declares them (SQLite storage). */
export const EDGE_TOKEN_OBJECTS = {
  REGISTRY: { className: "Registry", useSQLite: true },
  CLIENT_LEDGER: { className: "ClientLedger", useSQLite: true },
  STATUS_REGIONS: { className: "StatusRegion", useSQLite: true },
};

type StatusRegion = {
  leaseStatusIndices(region: string, want: number, ttlSeconds: number): Promise<{ list: string; start: number }>;
};

type Registry = {
  signingKeyState(o: { make: boolean }): Promise<unknown>;
  create(
    caller: { kind: "operator"; actor: string },
    a: NewKey,
  ): Promise<{ ok: boolean; value?: { record: { id: string; client_id: string }; client_secret?: string }; refusal?: unknown }>;
};

/** The "na" status object of `worker` in `mf`: the bench's requests carry no continent, so they lease there. */
const northAmerica = async (mf: Miniflare, worker: string) => {
  const namespace = await mf.getDurableObjectNamespace("STATUS_REGIONS", worker);
  return namespace.get(namespace.idFromName("na")) as unknown as StatusRegion;
};

const registryOf = async (mf: Miniflare, worker: string) => {
  const namespace = await mf.getDurableObjectNamespace("REGISTRY", worker);
  return namespace.get(namespace.idFromName(REGISTRY_NAME)) as unknown as Registry;
};

/**
 * A status list of the edge-token Worker in `mf`, for tokens signed in Node: leased from its
 * region's status object directly ("na": the bench's requests carry no continent), so that no
 * isolate of the Worker holds a lease yet (a cold one leases its own).
 */
export async function statusListOf(mf: Miniflare, worker = "edge-token"): Promise<string> {
  const { list } = await (await northAmerica(mf, worker)).leaseStatusIndices("na", 1, 3600);
  return `${ISSUER}/oauth/status-lists/${list}`;
}

/**
 * `n` leases of one index each from the "na" status object of the edge-token Worker in `mf`, as
 * a region's object busy with its isolates has served: its lease path compiled and optimised.
 */
export async function warmLeases(mf: Miniflare, n: number, worker = "edge-token"): Promise<void> {
  const region = await northAmerica(mf, worker);
  for (let i = 0; i < n; i++) await region.leaseStatusIndices("na", 1, 3600);
}

/** The deployment's signing keys made (SIGNING_KEYS imported) and in KV, as they are once it has served its first request. */
export async function makeSigningKeys(mf: Miniflare, worker = "edge-token"): Promise<void> {
  await (await registryOf(mf, worker)).signingKeyState({ make: true });
}

/** A key made by the registry of the edge-token Worker in `mf` (its one writer), as the CLI makes one. */
export async function createApplicationKey(
  mf: Miniflare,
  a: NewKey,
  worker = "edge-token",
): Promise<{ id: string; client_id: string; client_secret: string }> {
  const answer = await (await registryOf(mf, worker)).create({ kind: "operator", actor: "bench" }, a);
  if (!answer.ok || !answer.value) throw new Error(`the registry refused a key: ${JSON.stringify(answer.refusal)}`);
  // A private_key_jwt key has no secret: "" then.
  return { id: answer.value.record.id, client_id: answer.value.record.client_id, client_secret: answer.value.client_secret ?? "" };
}

/** A key that holds no secret (private_key_jwt), its assertions signed with `possession`'s key. */
export function createMachineKey(mf: Miniflare, possession: PossessionKeys, scope = BENCH_SCOPE) {
  return createApplicationKey(mf, {
    name: "machine",
    scope,
    grant_types: ["client_credentials"],
    token_endpoint_auth_method: "private_key_jwt",
    jwks: { keys: [possession.assertionJwk as never] },
  });
}

/** A SIGNING_KEY_KEK for this run only: 32 random bytes, base64url. */
export function newKek(): string {
  return Buffer.from(crypto.getRandomValues(new Uint8Array(32))).toString("base64url");
}

/** The KEK every edge-token Worker of this process seals and opens its signing keys with. */
export const RUN_KEK = newKek();

/** A SIGNING_KEYS value with one new Ed25519 key, for this run only: the registry imports it, so the floors sign with the same key. */
export async function newSigningKeys(): Promise<string> {
  const { privateKey } = await generateKeyPair("Ed25519", { extractable: true });
  const jwk = await exportJWK(privateKey);
  const kid = await calculateJwkThumbprint({ kty: jwk.kty!, crv: jwk.crv!, x: jwk.x! });
  return JSON.stringify({ keys: [{ ...jwk, kid, alg: "EdDSA", use: "sig" }] });
}

export async function startWorkers(): Promise<Workers> {
  const service = unstable_readConfig({ config: "wrangler.toml" });
  const signingKeys = await newSigningKeys();
  const ratelimits = Object.fromEntries(
    service.ratelimits.map((r: { name: string; namespace_id: string; simple: { limit: number; period: 10 | 60 } }) => [
      r.name,
      { namespace_id: r.namespace_id, simple: r.simple },
    ]),
  );
  const compatibilityDate = service.compatibility_date!;
  const floorClient = { client_id: "f".repeat(40), client_secret: "floor-secret-0123456789abcdefghijklmnopqrstuv" };
  const possession = await possessionKeys();

  const mf = new Miniflare(
    convertV4MiniflareOptions({
      // The Worker still writes its log line per request (that cost is measured); the bench
      // just does not print them.
      handleStructuredLogs: () => {},
      workers: [
        ...edgeTokenAndConsumer({
          service,
          signingKeys,
          edgeScript: bundle("src/index.ts", "edge-token"),
          consumerScript: bundle("test/fixtures/consumer/index.ts", "consumer"),
          ratelimits,
        }),
        {
          name: "noop",
          modules: true,
          scriptPath: bundle("test/bench/floors/noop.ts", "noop"),
          compatibilityDate,
          unsafeDirectSockets: [{ port: 0 }],
        },
        {
          name: "floor-issue",
          modules: true,
          scriptPath: bundle("test/bench/floors/issue.ts", "floor-issue"),
          compatibilityDate,
          bindings: {
            SIGNING_KEYS: signingKeys,
            ISSUER,
            CLIENT_ID: floorClient.client_id,
            CLIENT_SECRET_HASH: await hashSecret(floorClient.client_secret),
            SCOPE: BENCH_SCOPE,
          },
          unsafeDirectSockets: [{ port: 0 }],
        },
        {
          name: "floor-verify",
          modules: true,
          scriptPath: bundle("test/bench/floors/verify.ts", "floor-verify"),
          compatibilityDate,
          bindings: { SIGNING_KEYS: signingKeys, ISSUER },
          unsafeDirectSockets: [{ port: 0 }],
        },
        {
          name: "floor-verify-rpc",
          modules: true,
          scriptPath: bundle("test/bench/floors/verify-rpc.ts", "floor-verify-rpc"),
          compatibilityDate,
          bindings: { SIGNING_KEYS: signingKeys, ISSUER },
          serviceBindings: { FLOOR: { name: "floor-verify-rpc", entrypoint: "FloorVerifier" } },
          unsafeDirectSockets: [{ port: 0 }],
        },
        {
          name: "floor-issue-dpop",
          modules: true,
          scriptPath: bundle("test/bench/floors/issue-dpop.ts", "floor-issue-dpop"),
          compatibilityDate,
          bindings: {
            SIGNING_KEYS: signingKeys,
            ISSUER,
            CLIENT_ID: floorClient.client_id,
            CLIENT_KEY: JSON.stringify(possession.assertionJwk),
            SCOPE: BENCH_SCOPE,
          },
          unsafeDirectSockets: [{ port: 0 }],
        },
        {
          name: "floor-verify-dpop",
          modules: true,
          scriptPath: bundle("test/bench/floors/verify-dpop.ts", "floor-verify-dpop"),
          compatibilityDate,
          bindings: { SIGNING_KEYS: signingKeys, ISSUER },
          unsafeDirectSockets: [{ port: 0 }],
        },
      ],
    } as never),
  );
  await mf.ready;
  const client = await createApplicationKey(mf, { name: "bench", scope: BENCH_SCOPE, grant_types: ["client_credentials", "implicit"] });
  const metered = await createApplicationKey(mf, {
    name: "metered",
    scope: BENCH_SCOPE,
    grant_types: ["client_credentials"],
    token_quota: QUOTA,
  });
  const machine = await createMachineKey(mf, possession);
  return {
    mf,
    urls: {
      edge: await mf.unsafeGetDirectURL("edge-token"),
      consumer: await mf.unsafeGetDirectURL("consumer"),
      noop: await mf.unsafeGetDirectURL("noop"),
      floorIssue: await mf.unsafeGetDirectURL("floor-issue"),
      floorVerify: await mf.unsafeGetDirectURL("floor-verify"),
      floorVerifyRpc: await mf.unsafeGetDirectURL("floor-verify-rpc"),
      floorIssueDpop: await mf.unsafeGetDirectURL("floor-issue-dpop"),
      floorVerifyDpop: await mf.unsafeGetDirectURL("floor-verify-dpop"),
    },
    client: { client_id: client.client_id, client_secret: client.client_secret },
    metered: { client_id: metered.client_id, client_secret: metered.client_secret },
    machine: { client_id: machine.client_id, keys: possession },
    signingKeys,
    statusUri: await statusListOf(mf),
    floorClient,
  };
}
