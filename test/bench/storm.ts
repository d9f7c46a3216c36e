/**
 * npm run bench:storm -- [--quick] [--rate N] [--seconds S] [--rounds N] [--one-workerd] [--pin]   (also part of npm run bench)
 *
 * Latency under a public revocation storm. A backend's client_credentials token requests, one
 * at a time, each made to take a new status-list lease (as an isolate's first token does, and
 * then one token in 64 to 4,096), p50 and p99, without and with a steady storm of revocations
 * of a storefront's implicit tokens, sent with nothing but its public client_id from many
 * caller addresses (test/bench/storm-load.ts); beside them, the same token request with its
 * lease held, and an admin API read (GET /v2/application-keys), which asks the registry and,
 * through it, the status object that owns the admin's token.
 *
 * The topology is production's: what the backend and the storefront share is the region's
 * status object, which takes each lease and each revocation, and nothing else. Three workerd
 * processes (three Miniflare instances): the Durable Objects' own Worker ("objects"), the
 * backend's edge-token Worker, and the storefront's ("storefront-edge"), which the storm goes
 * to; both edge-token Workers' Durable Object bindings reach the "objects" Worker through
 * Miniflare's dev registry (a directory of this run's own), so every revocation's object work
 * lands on the very status object the backend leases from. workerd runs a process's JavaScript
 * on one thread, so Workers in one process wait behind each other: a backend request behind the
 * storefront's token checks, rate limiter and log lines, or behind the status object's work
 * (its list compressed and written to KV each second), none of which production puts on the
 * backend isolate's thread. The edge-token processes' KV is a copy of the objects' (the
 * central store), made once the registry has written the keys and signing keys, and the
 * backend's once more after its admin token's list is written; their rate limiters are their
 * own, as a location's are. The run checks that the storm's revocations set their tokens' bits
 * in the backend's status object.
 *
 * --one-workerd: the first topology, all three Workers in one workerd, for comparison.
 * --pin (taskset): the backend's workerd and the thread that measures on core 0; the objects'
 * workerd, the storefront's and the thread that sends the storm on core 1, as the backend's
 * machine is not the storefront's or the object's in production. The lease then waits on
 * core 1's queue too, behind the storm's own work, which makes its latency no better than
 * production's. With --one-workerd: the one workerd and the measuring thread on core 0, the
 * sender on core 1. Unpinned, the processes share this machine's cores, so the storm's own CPU
 * can still be in the latencies; pinned, a core's other tenants (another process of the
 * machine's) are not moved away from it either.
 *
 * Four rounds of 5 s per row and case (one of 3 s with --quick) alternate the order (without, with;
 * with, without), so that drift and the neighbours of a shared machine hit both alike.
 */
import { execFileSync } from "node:child_process";
import { mkdtempSync, rmSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { fileURLToPath } from "node:url";
import { parseArgs } from "node:util";
import { Worker } from "node:worker_threads";
import { convertV4MiniflareOptions, Miniflare } from "miniflare";
import { unstable_readConfig } from "wrangler";
import { totalCpu, workerdPids } from "./cpu.ts";
import type { StormLoad, StormSeen } from "./storm-load.ts";
import { bundle, createApplicationKey, EDGE_TOKEN_OBJECTS, ISSUER, makeSigningKeys, newSigningKeys, RUN_KEK } from "./workers.ts";

export interface Latency {
  requests: number;
  p50_ms: number;
  p99_ms: number;
  /** The storm's workerd's CPU time (all three processes, in the default topology) over the wall time of those requests: how many of the machine's cores it kept busy. */
  workerd_cores: number;
  /** The same of the backend's workerd alone (all three Workers with --one-workerd). */
  backend_workerd_cores: number;
  /** Requests answered other than 200, or not at all, by what they got. */
  errors: Record<string, number>;
}

export interface StormRow {
  name: string;
  without: Latency;
  with: Latency;
}

export interface StormResult {
  /** Revocations a second the storm was sent at. */
  rate: number;
  seconds: number;
  rounds: number;
  rows: StormRow[];
  /** What the storm's requests got, over every storm phase. */
  storm: StormSeen;
  addresses: { spread: number; hot: number };
  /** The objects, the backend and the storefront each in a workerd of its own (the default), or all in one (--one-workerd). */
  topology: "three workerd" | "one workerd";
  /** Whether the backend's side and the storm's were pinned to a core each (--pin). */
  pinned: boolean;
}

/** --pin: the cores (taskset's lists) of the backend's side and of the storm's (the storefront, its sender and the objects). */
const BACKEND_CPUS = "0";
const STOREFRONT_CPUS = "1";

const FORM = { "content-type": "application/x-www-form-urlencoded" };

function percentile(sorted: number[], q: number): number {
  return sorted.length ? Math.round(sorted[Math.min(sorted.length - 1, Math.floor(q * sorted.length))]! * 100) / 100 : 0;
}

/** Latencies (ms), and workerd's CPU seconds over the wall seconds they were measured in. */
interface Samples {
  ms: number[];
  cpu: number;
  /** The backend's workerd's CPU seconds. */
  backendCpu: number;
  wall: number;
  /** Requests answered other than 200, or not answered (their latency is in `ms` too), by what they got. */
  errors: Record<string, number>;
}

const summary = (x: Samples): Latency => {
  const sorted = [...x.ms].sort((a, b) => a - b);
  return {
    requests: x.ms.length,
    p50_ms: percentile(sorted, 0.5),
    p99_ms: percentile(sorted, 0.99),
    workerd_cores: Math.round((x.cpu / x.wall) * 100) / 100,
    backend_workerd_cores: Math.round((x.backendCpu / x.wall) * 100) / 100,
    errors: x.errors,
  };
};

/**
 * One request at a time for `seconds`: each one's latency in ms (fetch to the end of its body),
 * added to `into`; `pids`: the storm's workerd processes (`all`; `backend`, the backend's).
 */
async function closedLoop(
  send: () => Promise<Response>,
  seconds: number,
  pids: { all: number[]; backend: number[] },
  into?: Samples,
): Promise<void> {
  const { all, backend } = pids;
  const started = performance.now();
  const cpu = totalCpu(all);
  const backendCpu = totalCpu(backend);
  const until = started + seconds * 1000;
  while (performance.now() < until) {
    const t = performance.now();
    let outcome = "200";
    try {
      const r = await send();
      await r.arrayBuffer();
      outcome = String(r.status);
    } catch (error) {
      // A connection workerd dropped is a result too, not the end of the run.
      outcome = (error as { cause?: { code?: string } }).cause?.code ?? "fetch failed";
    }
    into?.ms.push(performance.now() - t);
    if (outcome !== "200" && into) into.errors[outcome] = (into.errors[outcome] ?? 0) + 1;
  }
  if (into) {
    into.cpu += totalCpu(all) - cpu;
    into.backendCpu += totalCpu(backend) - backendCpu;
    into.wall += (performance.now() - started) / 1000;
  }
}

/** Every key of the KV namespaces `bindings` of the objects' Worker in `from`, written into `to`'s `worker`, with its metadata and expiry. */
async function copyKv(from: Miniflare, to: Miniflare, worker: string, bindings: string[]): Promise<number> {
  let copied = 0;
  for (const binding of bindings) {
    const source = await from.getKVNamespace(binding, "objects");
    const target = await to.getKVNamespace(binding, worker);
    let cursor: string | undefined;
    do {
      const page = await source.list({ ...(cursor && { cursor }) });
      for (const key of page.keys) {
        const { value, metadata } = await source.getWithMetadata(key.name, "arrayBuffer");
        if (value === null) continue;
        await target.put(key.name, value, { ...(metadata != null && { metadata }), ...(key.expiration && { expiration: key.expiration }) });
        copied++;
      }
      cursor = page.list_complete ? undefined : page.cursor;
    } while (cursor);
  }
  return copied;
}

/**
 * Where a token's status bit is: its list's number within the region (src/store/status-owners.ts:
 * the list is the region's digit × 10^8 + n) and its index. The bench's requests carry no
 * continent, so every list here is the "na" object's (as statusListOf in workers.ts assumes).
 */
function statusOf(token: string): { n: number; idx: number } {
  const claims = JSON.parse(Buffer.from(token.split(".")[1]!, "base64url").toString()) as {
    status?: { status_list: { idx: number; uri: string } };
  };
  const ref = claims.status?.status_list;
  const list = ref ? Number(ref.uri.slice(ref.uri.lastIndexOf("/") + 1)) : Number.NaN;
  if (!ref || !(list >= 100_000_000))
    throw new Error(`a storefront token without a regional status list: ${JSON.stringify(claims.status)}`);
  return { n: list % 100_000_000, idx: ref.idx };
}

/**
 * Whether the storm's revocations reached the backend's status object (the `objects` Worker of
 * `mf`): each of `revoked` (tokens sent from spread addresses, answered 200) has its bit set
 * there, and `untouched`, never revoked, has not. Throws otherwise.
 */
async function revocationsLanded(mf: Miniflare, revoked: string[], untouched: string | undefined): Promise<string> {
  const namespace = await mf.getDurableObjectNamespace("STATUS_REGIONS", "objects");
  const isRevoked = (token: string) => {
    const { n, idx } = statusOf(token);
    const stub = namespace.get(namespace.idFromName("na")) as unknown as {
      isRevoked(region: string, n: number, idx: number): Promise<boolean>;
    };
    return stub.isRevoked("na", n, idx);
  };
  let set = 0;
  for (const token of revoked) if (await isRevoked(token)) set++;
  const clear = untouched === undefined ? undefined : !(await isRevoked(untouched));
  if (set !== revoked.length || clear === false) {
    throw new Error(
      `storm revocations in the backend's status object: ${set} of ${revoked.length} set, the unrevoked one ${clear ? "clear" : "set"}`,
    );
  }
  return `the backend's status object holds the storm's revocations: ${set} of ${revoked.length} revoked tokens set${clear ? ", an unrevoked one clear" : ""}`;
}

export async function revocationStorm(o: {
  quick: boolean;
  rate?: number;
  seconds?: number;
  rounds?: number;
  oneWorkerd?: boolean;
  pin?: boolean;
}): Promise<StormResult> {
  const oneWorkerd = o.oneWorkerd ?? false;
  const rate = o.rate ?? 200;
  const seconds = o.seconds ?? (o.quick ? 3 : 5);
  const rounds = o.rounds ?? (o.quick ? 1 : 4);
  const addresses = { spread: 1000, hot: 4 };
  const service = unstable_readConfig({ config: "wrangler.toml" });
  const signingKeys = await newSigningKeys();
  const kv = Object.fromEntries(service.kv_namespaces.map((n: { binding: string; id?: string }) => [n.binding, n.id!]));
  const ratelimits = Object.fromEntries(
    service.ratelimits.map((r: { name: string; namespace_id: string; simple: { limit: number; period: 10 | 60 } }) => [
      r.name,
      { namespace_id: r.namespace_id, simple: r.simple },
    ]),
  );
  const scriptPath = bundle("test/bench/storm/edge-token.ts", "storm-edge-token");
  const common = {
    modules: true,
    scriptPath,
    compatibilityDate: service.compatibility_date!,
    kvNamespaces: kv,
    ratelimits,
    bindings: { ...(service.vars as Record<string, string>), SIGNING_KEYS: signingKeys, SIGNING_KEY_KEK: RUN_KEK, ISSUER },
    unsafeDirectSockets: [{ port: 0 }],
  };
  let logged = 0;
  // Every request's log line is written (as in production) and not printed; the first warnings and errors are.
  const handleStructuredLogs = ({ level, message }: { level: string; message: string }) => {
    if (level !== "error" && level !== "warn") return;
    if (++logged <= 20) console.error(`  workerd ${level}: ${message.slice(0, 400)}`);
    else if (logged === 21) console.error("  workerd: (more warnings and errors not printed)");
  };
  const boundTo = (scriptName: string) =>
    Object.fromEntries(Object.entries(EDGE_TOKEN_OBJECTS).map(([b, d]) => [b, { className: d.className, scriptName }]));
  const objects = { name: "objects", ...common, unsafeDirectSockets: [], durableObjects: EDGE_TOKEN_OBJECTS };
  const backendEdge = { name: "edge-token", ...common, durableObjects: boundTo("objects") };
  // The storefront's side: another isolate of the same service, the same objects.
  const storefrontEdge = { name: "storefront-edge", ...common, durableObjects: boundTo("objects") };
  const others = workerdPids();
  const registry = oneWorkerd ? undefined : mkdtempSync(join(tmpdir(), "edge-token-storm-registry-"));
  const mf = new Miniflare(
    convertV4MiniflareOptions({
      handleStructuredLogs,
      ...(registry && { unsafeDevRegistryPath: registry }),
      // The Durable Objects' own Worker: their isolate is neither the backend's nor the storefront's, as in production.
      workers: oneWorkerd ? [objects, backendEdge, storefrontEdge] : [objects],
    } as never),
  );
  let backendMf: Miniflare | undefined;
  let storefrontMf: Miniflare | undefined;
  try {
    await mf.ready;
    const backend = await createApplicationKey(
      mf,
      { name: "backend", scope: "read write application_keys", grant_types: ["client_credentials"] },
      "objects",
    );
    const storefront = await createApplicationKey(mf, { name: "storefront", scope: "read", grant_types: ["implicit"] }, "objects");
    await makeSigningKeys(mf, "objects");
    // This run's own: bench.ts has its other workerd still running.
    const objectsPids = workerdPids().filter((pid) => !others.includes(pid));
    const edgeProcess = async (worker: typeof backendEdge) => {
      const m = new Miniflare(
        convertV4MiniflareOptions({ handleStructuredLogs, unsafeDevRegistryPath: registry, workers: [worker] } as never),
      );
      await m.ready;
      await copyKv(mf, m, worker.name, Object.keys(kv));
      return m;
    };
    const known = [...others, ...objectsPids];
    const newPids = () => {
      const fresh = workerdPids().filter((pid) => !known.includes(pid));
      known.push(...fresh);
      return fresh;
    };
    if (registry) backendMf = await edgeProcess(backendEdge);
    const backendPids = backendMf ? newPids() : objectsPids;
    if (registry) storefrontMf = await edgeProcess(storefrontEdge);
    const storefrontPids = storefrontMf ? newPids() : [];
    const pids = { all: [...new Set([...objectsPids, ...backendPids, ...storefrontPids])], backend: backendPids };
    console.error(
      `  workerd: objects ${objectsPids.join(" ")}, backend ${backendMf ? backendPids.join(" ") : "(the same)"}, storefront ${storefrontPids.join(" ") || "(the same)"}`,
    );
    if (o.pin) {
      // Every thread of each workerd (-a); of this process, the main thread alone, which measures.
      const pin = (pid: number, cpus: string) => execFileSync("taskset", ["-a", "-p", "-c", cpus, String(pid)], { stdio: "ignore" });
      for (const pid of backendPids) pin(pid, BACKEND_CPUS);
      for (const pid of [...storefrontPids, ...(backendMf ? objectsPids : [])]) pin(pid, STOREFRONT_CPUS);
      execFileSync("taskset", ["-p", "-c", BACKEND_CPUS, String(process.pid)], { stdio: "ignore" });
      console.error(
        `  pinned: the backend's workerd and the measuring thread on core ${BACKEND_CPUS}; ${backendMf ? "the objects', " : ""}the storefront's and the storm's sender on ${STOREFRONT_CPUS}`,
      );
    }
    const edge = await (backendMf ?? mf).unsafeGetDirectURL("edge-token");
    const shop = await (storefrontMf ?? mf).unsafeGetDirectURL("storefront-edge");
    const tokenUrl = new URL("/oauth/access_token", edge).href;
    const credentials = { grant_type: "client_credentials", client_id: backend.client_id, client_secret: backend.client_secret };
    const ccBody = new URLSearchParams({ ...credentials, scope: "read write" }).toString();
    const post = (url: string, body: string, headers: Record<string, string> = {}) =>
      fetch(url, { method: "POST", headers: { ...FORM, ...headers }, body });
    const adminToken = (await (await post(tokenUrl, new URLSearchParams(credentials).toString())).json()) as { access_token: string };
    // The admin token's status list, written by the objects when the backend leased it, where the backend reads it.
    if (backendMf) await copyKv(mf, backendMf, "edge-token", Object.keys(kv));
    const adminUrl = new URL("/v2/application-keys?page[limit]=3", edge).href;
    const admin = { authorization: `Bearer ${adminToken.access_token}` };

    // Every storm revocation a token of its own: the storefront's implicit tokens, issued before the storm.
    const stormSeconds = rounds * (3 * seconds + 2) + 5;
    const wanted = Math.ceil(rate * stormSeconds * 1.1);
    const implicitBody = new URLSearchParams({ grant_type: "implicit", client_id: storefront.client_id }).toString();
    const shopTokenUrl = new URL("/oauth/access_token", shop).href;
    const tokens: string[] = [];
    await Promise.all(
      Array.from({ length: 16 }, async () => {
        while (tokens.length < wanted) {
          const r = await post(shopTokenUrl, implicitBody);
          if (r.status !== 200) throw new Error(`an implicit token for the storm: ${r.status} ${await r.text()}`);
          tokens.push(((await r.json()) as { access_token: string }).access_token);
        }
      }),
    );

    const measured: Record<string, { without: Samples; with: Samples }> = {};
    const samplesOf = (name: string) => {
      measured[name] ??= {
        without: { ms: [], cpu: 0, backendCpu: 0, wall: 0, errors: {} },
        with: { ms: [], cpu: 0, backendCpu: 0, wall: 0, errors: {} },
      };
      return measured[name];
    };
    const phases: [string, () => Promise<Response>][] = [
      ["client_credentials, a new lease each", () => post(tokenUrl, ccBody, { "x-bench-new-lease": "1" })],
      ["client_credentials, lease held", () => post(tokenUrl, ccBody)],
      ["admin: GET /v2/application-keys", () => fetch(adminUrl, { headers: admin })],
    ];
    const seen: StormSeen[] = [];
    let used = 0;
    /** Tokens the storm revoked from spread addresses (the storm's i % 10 !== 0, never over REVOKE_PER_IP): a few of each round's first and last. */
    const spreadRevoked: string[] = [];
    for (const [, send] of phases) await closedLoop(send, 3, pids); // warm-up
    for (let round = 0; round < rounds; round++) {
      for (const storm of round % 2 === 0 ? [false, true] : [true, false]) {
        let worker: Worker | undefined;
        if (storm) {
          const load: StormLoad = {
            url: new URL("/oauth/revoke", shop).href,
            rate,
            clientId: storefront.client_id,
            // Once every token is spent (phases that ran long), they are revoked again.
            tokens: used < tokens.length ? tokens.slice(used) : tokens,
            ...addresses,
            ...(o.pin && { cpus: STOREFRONT_CPUS }),
          };
          worker = new Worker(new URL("./storm-load.ts", import.meta.url), { workerData: load });
          await new Promise((r) => setTimeout(r, 2000)); // the storm under way before anything is measured
        }
        for (const [name, send] of phases) {
          const m = samplesOf(name);
          await closedLoop(send, seconds, pids, m[storm ? "with" : "without"]);
          console.error(`  storm ${storm ? "on " : "off"}: ${name}: ${JSON.stringify(summary(m[storm ? "with" : "without"]))}`);
        }
        if (worker) {
          const answer = new Promise<StormSeen>((r) => worker.once("message", r));
          worker.postMessage("stop");
          const s = await answer;
          await worker.terminate();
          // (Only tokens revoked once: a storm that ran longer than planned wraps around its tokens.)
          for (const i of [1, 2, 3, s.sent - 3, s.sent - 2, s.sent - 1]) {
            if (i > 0 && i % 10 !== 0 && used + i < tokens.length) spreadRevoked.push(tokens[used + i]!);
          }
          used += s.sent;
          seen.push(s);
          console.error(`  storm: ${JSON.stringify(s)}`);
        }
      }
    }
    // A revocation is answered 200 whether or not it found its token (RFC 7009 §2.2), so the
    // storefront's revocations are checked where they must land: the backend's status object.
    const landed = await revocationsLanded(mf, spreadRevoked, used < tokens.length ? tokens.at(-1) : undefined);
    console.error(`  ${landed}`);
    const statuses: Record<string, number> = {};
    for (const s of seen) for (const [k, v] of Object.entries(s.statuses)) statuses[k] = (statuses[k] ?? 0) + v;
    const storm: StormSeen = {
      sent: seen.reduce((n, s) => n + s.sent, 0),
      statuses,
      // The rounds' own percentiles: the worst of them.
      p50_ms: Math.max(...seen.map((s) => s.p50_ms)),
      p99_ms: Math.max(...seen.map((s) => s.p99_ms)),
      seconds: Math.round(seen.reduce((n, s) => n + s.seconds, 0)),
    };
    return {
      rate,
      seconds,
      rounds,
      rows: Object.entries(measured).map(([name, m]) => ({ name, without: summary(m.without), with: summary(m.with) })),
      storm,
      addresses,
      topology: oneWorkerd ? "one workerd" : "three workerd",
      pinned: o.pin ?? false,
    };
  } finally {
    await storefrontMf?.dispose();
    await backendMf?.dispose();
    await mf.dispose();
    if (registry) rmSync(registry, { recursive: true, force: true });
  }
}

/** Requests not answered 200: how many, and what they got. */
const failed = (l: Latency) => {
  const all = Object.entries(l.errors);
  return all.length === 0 ? "0" : all.map(([what, n]) => `${n} × ${what}`).join(", ");
};

const ratio = (a: number, b: number) => (b > 0 ? Math.round((a / b) * 100) / 100 : Number.NaN);

/** The storm's table, as bench.ts and this script print it. */
export function stormMarkdown(r: StormResult): string {
  const s = r.storm;
  const limited = s.statuses["429"] ?? 0;
  const other = Object.entries(s.statuses)
    .filter(([k]) => k !== "200" && k !== "429")
    .map(([k, v]) => `${v} × ${k}`);
  return [
    `| one request at a time, ms | without the storm: p50 / p99 | with ${r.rate} revocations a second: p50 / p99 | with ÷ without: p50 / p99 | workerd's CPU, cores busy: without / with | not 200: without / with |`,
    "| --- | --- | --- | --- | --- | --- |",
    ...r.rows.map(
      (x) =>
        `| ${x.name} | ${x.without.p50_ms} / ${x.without.p99_ms} | ${x.with.p50_ms} / ${x.with.p99_ms} | ${ratio(x.with.p50_ms, x.without.p50_ms)} / ${ratio(x.with.p99_ms, x.without.p99_ms)} | ${x.without.workerd_cores} / ${x.with.workerd_cores} | ${failed(x.without)} / ${failed(x.with)} |`,
    ),
    "",
    `The storm: ${s.sent} revocations in ${s.seconds} s from ${r.addresses.spread} addresses (a tenth of them from ${r.addresses.hot} addresses over REVOKE_PER_IP): ${s.statuses["200"] ?? 0} answered 200 (p50 ${s.p50_ms} ms, p99 ${s.p99_ms} ms, the list's next KV write included), ${limited} answered 429${other.length ? `, ${other.join(", ")}` : ""}; ${r.rounds} round${r.rounds === 1 ? "" : "s"} of ${r.seconds} s per row and case; ${r.topology === "one workerd" ? "the three Workers in one workerd" : "the objects, the backend and the storefront each in a workerd of its own"}${r.pinned ? ", each side pinned to a core" : ""}.`,
    "",
  ].join("\n");
}

/** The target: token requests that take a new lease, with the storm, within 1.5 × without (p50 and p99). */
export function stormTarget(r: StormResult): { measured: string; met: boolean } {
  const row = r.rows[0]!;
  const p50 = ratio(row.with.p50_ms, row.without.p50_ms);
  const p99 = ratio(row.with.p99_ms, row.without.p99_ms);
  const errors = Object.values(row.with.errors).reduce((a, b) => a + b, 0);
  return {
    measured: `p50 ${p50} ×, p99 ${p99} ×${errors ? `, ${errors} not answered 200` : ""}`,
    met: p50 <= 1.5 && p99 <= 1.5 && errors === 0,
  };
}

if (process.argv[1] === fileURLToPath(import.meta.url)) {
  const { values } = parseArgs({
    options: {
      quick: { type: "boolean", default: false },
      rate: { type: "string" },
      seconds: { type: "string" },
      rounds: { type: "string" },
      "one-workerd": { type: "boolean", default: false },
      pin: { type: "boolean", default: false },
    },
  });
  const result = await revocationStorm({
    quick: values.quick,
    ...(values.rate && { rate: Number(values.rate) }),
    ...(values.seconds && { seconds: Number(values.seconds) }),
    ...(values.rounds && { rounds: Number(values.rounds) }),
    oneWorkerd: values["one-workerd"],
    pin: values.pin,
  });
  console.log(`\n${stormMarkdown(result)}`);
  const t = stormTarget(result);
  console.log(`client_credentials with a new lease, with the storm ≤ 1.5 × without: ${t.measured}: ${t.met ? "met" : "missed"}`);
}
