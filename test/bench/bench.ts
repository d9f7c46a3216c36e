/**
 * npm run bench -- [--quick] [--duration S] [--connections 1,16,64] [--out DIR] [--cpu-requests N] [--storm-rate N]
 *
 * edge-token in workerd (Miniflare's API, no wrangler dev proxy) beside the floors of its work
 * (floor_issue, floor_verify and their DPoP twins: test/bench/floors/), the no-op Worker, and a self-hosted peer
 * (node-oidc-provider on Node), all driven by autocannon the same way, in one run; then a
 * separate counting run of KV operations and Durable Object requests (by binding) per operation
 * and per index lease (count.ts), and the latency of token requests that take a new lease
 * without and with a public revocation storm (storm.ts). Not part of npm test.
 * --quick: 2 s runs at 16 connections and fewer CPU samples, for a developer's inner loop.
 */

import { type ChildProcess, spawn } from "node:child_process";
import { once } from "node:events";
import { mkdirSync, writeFileSync } from "node:fs";
import { createRequire } from "node:module";
import { cpus, totalmem } from "node:os";
import { join } from "node:path";
import { parseArgs } from "node:util";
import autocannon from "autocannon";
import { countKvOperations, countLeases } from "./count.ts";
import { totalCpu, workerdPids } from "./cpu.ts";
import { bearerRequests, type Fresh, introspectionRequests, issuanceRequests, verificationRequests } from "./fresh-requests.ts";
import { PEER_CLIENT } from "./peer-client.ts";
import { floorRatios, markdown, overNoop, type Row, targets } from "./report.ts";
import { revocationStorm, stormMarkdown, stormTarget } from "./storm.ts";
import { ISSUER, startWorkers } from "./workers.ts";

const { values } = parseArgs({
  options: {
    quick: { type: "boolean", default: false },
    duration: { type: "string" },
    connections: { type: "string" },
    out: { type: "string" },
    "cpu-requests": { type: "string" },
    "storm-rate": { type: "string" },
  },
});
const QUICK = values.quick;
const DURATION = Number(values.duration ?? (QUICK ? 2 : 10));
const CONNECTIONS = (values.connections ?? (QUICK ? "16" : "1,16,64")).split(",").map(Number);
const CPU_REQUESTS = Number(values["cpu-requests"] ?? (QUICK ? 1000 : 5000));
const CPU_ROUNDS = QUICK ? 3 : 5;
const PEER_PORT = 3100 + Math.floor(Math.random() * 800);

interface Scenario {
  name: string;
  url: string;
  method: "GET" | "POST";
  headers?: Record<string, string>;
  body?: string;
  /**
   * Requests that cannot repeat (a client assertion's or a proof's jti is used once): `n` of
   * them, made just before each run, each sent once on top of the fields above.
   */
  pool?: (n: number) => Promise<Fresh[]>;
}

/** Each pooled scenario's best rate so far, to size the next pool of a timed run. */
const rates = new Map<string, number>();

/**
 * A timed run's pool: twice what the best rate seen (at least 2000/s) would use. More
 * connections than the run that set the best rate can go faster: a pool that runs out repeats
 * its last request, which a replay check refuses, and that shows as errors.
 */
function poolSize(t: Scenario, connections: number, limit: { duration: number } | { amount: number }): number {
  if ("amount" in limit) return limit.amount + 2 * connections;
  return Math.ceil(Math.max(rates.get(t.name) ?? 0, 2000) * limit.duration * 2) + 2 * connections;
}

const form = (p: Record<string, string>) => new URLSearchParams(p).toString();
const FORM = { "content-type": "application/x-www-form-urlencoded" };

async function drive(t: Scenario, connections: number, limit: { duration: number } | { amount: number }): Promise<Row> {
  let requests: { setupRequest: (r: Fresh) => Fresh }[] | undefined;
  let exhausted = 0;
  if (t.pool) {
    const items = await t.pool(poolSize(t, connections, limit));
    let next = 0;
    const take = (): Fresh => {
      if (next < items.length) return items[next++]!;
      // Past the pool's end a request repeats the last one: refused as a replay, counted as an error.
      exhausted++;
      return items.at(-1)!;
    };
    requests = [
      {
        setupRequest: (r) => {
          const item = take();
          return { ...r, headers: { ...r.headers, ...item.headers }, body: item.body ?? r.body };
        },
      },
    ];
  }
  const r = await autocannon({
    url: t.url,
    method: t.method,
    headers: t.headers,
    body: t.body,
    connections,
    ...limit,
    ...(requests && { requests }),
  });
  if (exhausted) console.warn(`  ${t.name}: its pool ran out ${exhausted} requests before the run's end`);
  if (t.pool) rates.set(t.name, Math.max(rates.get(t.name) ?? 0, r.requests.average));
  return {
    name: t.name,
    connections,
    rps: Math.round(r.requests.average),
    p50_ms: r.latency.p50,
    p99_ms: r.latency.p99,
    errors: r.errors + r.timeouts + r.non2xx,
  };
}

/**
 * CPU µs per request of each scenario's processes: user + system time read before and after
 * exactly CPU_REQUESTS requests at 16 connections. Rounds go through every scenario in turn,
 * so drift on a shared machine hits them alike; the median round is reported.
 */
async function cpuPerRequest(
  scenarios: { scenario: Scenario; pids: () => number[] }[],
): Promise<{ median: Record<string, number>; samples: Record<string, number[]> }> {
  const samples = new Map<string, number[]>();
  for (const { scenario } of scenarios) await drive(scenario, 16, { amount: 500 }); // warm
  for (let round = 0; round < CPU_ROUNDS; round++) {
    for (const { scenario, pids } of scenarios) {
      const before = totalCpu(pids());
      const r = await drive(scenario, 16, { amount: CPU_REQUESTS });
      const after = totalCpu(pids());
      if (r.errors) console.warn(`  ${scenario.name}: ${r.errors} errors during the CPU phase`);
      samples.set(scenario.name, [...(samples.get(scenario.name) ?? []), ((after - before) / CPU_REQUESTS) * 1e6]);
    }
  }
  const median = Object.fromEntries(
    [...samples].map(([name, xs]) => [name, Math.round([...xs].sort((a, b) => a - b)[Math.floor(xs.length / 2)]!)]),
  );
  return { median, samples: Object.fromEntries([...samples].map(([name, xs]) => [name, xs.map(Math.round)])) };
}

async function startPeer(): Promise<ChildProcess> {
  const child = spawn(process.execPath, ["test/bench/peer.ts", String(PEER_PORT)], { stdio: ["ignore", "pipe", "ignore"] });
  await new Promise<void>((ready, fail) => {
    child.stdout!.on("data", (d) => String(d).includes("ready") && ready());
    child.once("exit", (code) => fail(new Error(`peer exited (${code})`)));
  });
  return child;
}

function machine() {
  const fromMiniflare = createRequire(createRequire(import.meta.url).resolve("miniflare"));
  return {
    cpu: cpus()[0]?.model ?? "unknown",
    cores: cpus().length,
    memory_gib: Math.round(totalmem() / 2 ** 30),
    node: process.version,
    workerd: fromMiniflare("workerd/package.json").version as string,
    duration_s: DURATION,
    quick: QUICK,
  };
}

async function main() {
  const started = Date.now();
  console.error(`edge-token bench${QUICK ? " (quick)" : ""}: ${DURATION}s per run, connections ${CONNECTIONS.join("/")}`);
  const { mf, urls, client, metered, machine: m, signingKeys, statusUri, floorClient } = await startWorkers();
  const peerProcess = await startPeer();
  try {
    const basic = { ...FORM, authorization: `Basic ${btoa(`${client.client_id}:${client.client_secret}`)}` };
    const tokenUrl = new URL("/oauth/access_token", urls.edge).href;
    const consumerUrl = new URL("/module/catalog", urls.consumer).href;
    const floorVerifyDpopUrl = new URL("/module/catalog", urls.floorVerifyDpop).href;
    // A fresh token (and proof) per request, each of a client of its own: signed in Node with the service's key.
    const signed = { signingKeys, issuer: ISSUER, statusUri };
    const boundRequests = (url: string) => (n: number) => verificationRequests(n, m.keys, { ...signed, url });
    const freshBearers = (n: number) => bearerRequests(n, signed);

    const scenarios: Scenario[] = [
      {
        name: "client_credentials",
        url: tokenUrl,
        method: "POST",
        headers: FORM,
        body: form({ grant_type: "client_credentials", ...client }),
      },
      {
        name: "client_credentials_quota",
        url: tokenUrl,
        method: "POST",
        headers: FORM,
        body: form({ grant_type: "client_credentials", ...metered }),
      },
      {
        name: "implicit",
        url: tokenUrl,
        method: "POST",
        headers: FORM,
        body: form({ grant_type: "implicit", client_id: client.client_id }),
      },
      {
        name: "introspect",
        url: new URL("/oauth/introspect", urls.edge).href,
        method: "POST",
        pool: (n) => introspectionRequests(n, { ...signed, headers: basic }),
      },
      {
        name: "pkjwt_dpop",
        url: tokenUrl,
        method: "POST",
        pool: (n) => issuanceRequests(n, m.keys, m.client_id, ISSUER, tokenUrl),
      },
      { name: "verify_rpc", url: new URL("/rpc/catalog", urls.consumer).href, method: "GET", pool: freshBearers },
      { name: "verify_module", url: consumerUrl, method: "GET", pool: freshBearers },
      { name: "verify_dpop", url: consumerUrl, method: "GET", pool: boundRequests(consumerUrl) },
      { name: "jwks", url: new URL("/.well-known/jwks.json", urls.edge).href, method: "GET" },
      {
        name: "floor_issue",
        url: urls.floorIssue.href,
        method: "POST",
        headers: FORM,
        body: form({ grant_type: "client_credentials", ...floorClient }),
      },
      { name: "floor_verify", url: new URL("/module/catalog", urls.floorVerify).href, method: "GET", pool: freshBearers },
      { name: "floor_verify_rpc", url: new URL("/rpc/catalog", urls.floorVerifyRpc).href, method: "GET", pool: freshBearers },
      {
        name: "floor_issue_dpop",
        url: urls.floorIssueDpop.href,
        method: "POST",
        pool: (n) => issuanceRequests(n, m.keys, floorClient.client_id, ISSUER, urls.floorIssueDpop.href),
      },
      { name: "floor_verify_dpop", url: floorVerifyDpopUrl, method: "GET", pool: boundRequests(floorVerifyDpopUrl) },
      { name: "noop", url: urls.noop.href, method: "GET" },
    ];
    const peerScenario: Scenario = {
      name: "peer_client_credentials",
      url: `http://127.0.0.1:${PEER_PORT}/token`,
      method: "POST",
      headers: FORM,
      body: form({ grant_type: "client_credentials", scope: "read write", ...PEER_CLIENT }),
    };

    const rows: Row[] = [];
    for (const t of scenarios) {
      if (!QUICK) await drive(t, 16, { duration: 1 }); // warm-up, not reported (--quick's numbers are indicative)
      for (const c of CONNECTIONS) {
        rows.push(await drive(t, c, { duration: DURATION }));
        console.error(`  ${t.name} c=${c}: ${rows.at(-1)!.rps} req/s`);
      }
    }
    const peer: Row[] = [];
    if (!QUICK) await drive(peerScenario, 16, { duration: 1 });
    for (const c of CONNECTIONS) {
      peer.push({ ...(await drive(peerScenario, c, { duration: DURATION })), name: "oidc-provider" });
      console.error(`  peer c=${c}: ${peer.at(-1)!.rps} req/s`);
    }

    console.error(`  CPU phase: ${CPU_ROUNDS} rounds of ${CPU_REQUESTS} requests per scenario`);
    const workerd = () => workerdPids();
    const { median: cpu, samples } = await cpuPerRequest([
      ...scenarios.map((scenario) => ({ scenario, pids: workerd })),
      // The no-op Worker reading a form as large as client_credentials': receiving a POST by itself.
      { scenario: { ...scenarios[0]!, name: "noop_post_form", url: urls.noop.href }, pids: workerd },
      { scenario: peerScenario, pids: () => [peerProcess.pid!] },
    ]);
    const ratios = floorRatios(cpu);

    console.error("  KV counting run: a fresh workerd per operation");
    const counts = await countKvOperations();
    console.error("  index leases: one isolate's tokens, a lease's range at a time");
    const leases = await countLeases();

    const stormRate = values["storm-rate"] ? Number(values["storm-rate"]) : undefined;
    console.error("  revocation storm: token requests that take a new lease, without and with it");
    const storm = await revocationStorm({ quick: QUICK, ...(stormRate && { rate: stormRate }) });

    const info = machine();
    const line = `Machine: ${info.cpu}, ${info.cores} cores, ${info.memory_gib} GiB; Node ${info.node}; workerd ${info.workerd}; ${DURATION} s per run${QUICK ? " (--quick)" : ""}.`;
    const met = targets(rows.concat(peer), cpu, ratios);
    const stormMet = stormTarget(storm);
    met.splice(met.length - 1, 0, {
      target: "client_credentials taking a new lease, with a public revocation storm ≤ 1.5 × without (p50 and p99)",
      measured: stormMet.measured,
      met: stormMet.met,
    });
    const md = [markdown({ machine: line, rows, peer, cpu, samples, ratios, targets: met, counts, leases }), stormMarkdown(storm)].join(
      "\n",
    );
    console.log(`\n${md}`);
    if (values.out) {
      mkdirSync(values.out, { recursive: true });
      writeFileSync(join(values.out, "results.md"), md);
      const json = {
        machine: info,
        issuer: ISSUER,
        scenarios: rows,
        peer,
        cpu_us_per_request: cpu,
        cpu_us_samples: samples,
        cpu_us_over_noop: overNoop(cpu),
        floor_ratio: ratios,
        targets: met,
        kv_per_operation: counts,
        index_leases: leases,
        revocation_storm: storm,
      };
      writeFileSync(join(values.out, "results.json"), `${JSON.stringify(json, null, 2)}\n`);
      console.error(`wrote ${join(values.out, "results.md")} and results.json`);
    }
    console.error(`bench done in ${Math.round((Date.now() - started) / 1000)} s`);
    // The model the README states is part of what the bench checks.
    if (counts.some((c) => !c.as_expected) || leases.some((l) => !l.as_expected)) {
      console.error("KV operations or Durable Object requests differ from the model stated in count.ts and docs/benchmark.md");
      process.exitCode = 1;
    }
  } finally {
    peerProcess.kill();
    await once(peerProcess, "exit").catch(() => {});
    await mf.dispose();
  }
}

await main();
