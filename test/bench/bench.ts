/**
 * npm run bench -- [--duration S] [--connections 1,16,64] [--out DIR] [--cpu-requests N] [--cpu-only a,b]
 *
 * edge-token in workerd (Miniflare's API, no wrangler dev proxy) against the runtime's
 * ceiling (a no-op Worker in the same workerd) and a self-hosted peer (node-oidc-provider on
 * Node), all driven by autocannon the same way, in one run. Not part of npm test.
 */
import autocannon from "autocannon";
import { spawn, type ChildProcess } from "node:child_process";
import { once } from "node:events";
import { mkdirSync, writeFileSync } from "node:fs";
import { cpus, totalmem } from "node:os";
import { join } from "node:path";
import { createRequire } from "node:module";
import { parseArgs } from "node:util";
import { totalCpu, workerdPids } from "./cpu.ts";
import { PEER_CLIENT } from "./peer-client.ts";
import { ISSUER, startWorkers } from "./workers.ts";

const { values } = parseArgs({
  options: {
    duration: { type: "string", default: "10" },
    connections: { type: "string", default: "1,16,64" },
    out: { type: "string" },
    "cpu-requests": { type: "string", default: "5000" },
    // Profiling aid: only the CPU phase, for the named scenarios (noop always included).
    "cpu-only": { type: "string" },
  },
});
const DURATION = Number(values.duration);
const CONNECTIONS = values.connections.split(",").map(Number);
const CPU_REQUESTS = Number(values["cpu-requests"]);
const PEER_PORT = 3100 + Math.floor(Math.random() * 800);

interface Target {
  name: string;
  url: string;
  method: "GET" | "POST";
  headers?: Record<string, string>;
  body?: string;
}

interface Row {
  name: string;
  connections: number;
  rps: number;
  p50_ms: number;
  p99_ms: number;
  errors: number;
  ratio_to_ceiling?: number;
}

const form = (p: Record<string, string>) => new URLSearchParams(p).toString();
const FORM = { "content-type": "application/x-www-form-urlencoded" };

async function drive(t: Target, connections: number, limit: { duration: number } | { amount: number }): Promise<Row> {
  const r = await autocannon({ url: t.url, method: t.method, headers: t.headers, body: t.body, connections, ...limit });
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
 * CPU time the given processes spent per request, in µs: user + system time read before and
 * after exactly `CPU_REQUESTS` requests, three times; the median is reported.
 */
async function cpuPerRequest(t: Target, pids: () => number[]): Promise<number> {
  await drive(t, 16, { amount: 500 }); // warm
  const samples: number[] = [];
  for (let i = 0; i < 3; i++) {
    const before = totalCpu(pids());
    const r = await drive(t, 16, { amount: CPU_REQUESTS });
    const after = totalCpu(pids());
    if (r.errors) console.warn(`  ${t.name}: ${r.errors} errors during the CPU phase`);
    samples.push(((after - before) / CPU_REQUESTS) * 1e6);
  }
  return Math.round(samples.sort((a, b) => a - b)[1]!);
}

async function startPeer(): Promise<ChildProcess> {
  const child = spawn(process.execPath, ["test/bench/peer.ts", String(PEER_PORT)], { stdio: ["ignore", "pipe", "inherit"] });
  await new Promise<void>((ready, fail) => {
    child.stdout!.on("data", (d) => String(d).includes("ready") && ready());
    child.once("exit", (code) => fail(new Error(`peer exited (${code})`)));
  });
  return child;
}

function machine() {
  const fromMiniflare = createRequire(createRequire(import.meta.url).resolve("miniflare"));
  const workerd = fromMiniflare("workerd/package.json").version as string;
  return {
    cpu: cpus()[0]?.model ?? "unknown",
    cores: cpus().length,
    memory_gib: Math.round(totalmem() / 2 ** 30),
    node: process.version,
    workerd,
    duration_s: DURATION,
  };
}

const fmt = (n: number | undefined, digits = 2) => (n === undefined ? "" : n.toFixed(digits));

function table(rows: Row[], peer: Row[], vsPeer: Record<string, number>, cpu: Record<string, number>): string {
  const lines = [
    "| scenario | connections | req/s | p50 ms | p99 ms | errors | × ceiling |",
    "| --- | ---: | ---: | ---: | ---: | ---: | ---: |",
    ...rows.map((r) => `| ${r.name} | ${r.connections} | ${r.rps} | ${r.p50_ms} | ${r.p99_ms} | ${r.errors} | ${fmt(r.ratio_to_ceiling)} |`),
    ...peer.map((r) => `| peer: oidc-provider client_credentials | ${r.connections} | ${r.rps} | ${r.p50_ms} | ${r.p99_ms} | ${r.errors} | |`),
    "",
    "| issuance vs peer (req/s ratio) | " + Object.keys(vsPeer).map((c) => `c=${c}`).join(" | ") + " |",
    "| --- | " + Object.keys(vsPeer).map(() => "---:").join(" | ") + " |",
    "| client_credentials / oidc-provider | " + Object.values(vsPeer).map((v) => fmt(v)).join(" | ") + " |",
    "",
    "| CPU per request (µs) | " + Object.keys(cpu).join(" | ") + " |",
    "| --- | " + Object.keys(cpu).map(() => "---:").join(" | ") + " |",
    "| | " + Object.values(cpu).join(" | ") + " |",
  ];
  return lines.join("\n");
}

async function main() {
  console.error(`edge-token bench: ${DURATION}s per run, connections ${CONNECTIONS.join("/")}`);
  const { mf, urls, client, floorClient } = await startWorkers();
  const peerProcess = await startPeer();
  try {
    const issued = await fetch(new URL("/oauth/access_token", urls.edge), { method: "POST", headers: FORM, body: form({ grant_type: "client_credentials", ...client }) });
    const token = ((await issued.json()) as { access_token: string }).access_token;
    const bearer = { authorization: `Bearer ${token}` };
    const basic = { ...FORM, authorization: `Basic ${btoa(`${client.client_id}:${client.client_secret}`)}` };

    const targets: Target[] = [
      { name: "client_credentials", url: new URL("/oauth/access_token", urls.edge).href, method: "POST", headers: FORM, body: form({ grant_type: "client_credentials", ...client }) },
      { name: "implicit", url: new URL("/oauth/access_token", urls.edge).href, method: "POST", headers: FORM, body: form({ grant_type: "implicit", client_id: client.client_id }) },
      { name: "introspect", url: new URL("/oauth/introspect", urls.edge).href, method: "POST", headers: basic, body: form({ token }) },
      { name: "verify_rpc", url: new URL("/rpc/catalog", urls.consumer).href, method: "GET", headers: bearer },
      { name: "verify_module", url: new URL("/module/catalog", urls.consumer).href, method: "GET", headers: bearer },
      { name: "jwks", url: new URL("/.well-known/jwks.json", urls.edge).href, method: "GET" },
      { name: "noop", url: urls.noop.href, method: "GET" },
      { name: "floor_issue", url: urls.floorIssue.href, method: "POST", headers: FORM, body: form({ grant_type: "client_credentials", ...floorClient }) },
      { name: "floor_verify", url: new URL("/module/catalog", urls.floorVerify).href, method: "GET", headers: bearer },
    ];
    const peerTarget: Target = {
      name: "peer_client_credentials",
      url: `http://127.0.0.1:${PEER_PORT}/token`,
      method: "POST",
      headers: FORM,
      body: form({ grant_type: "client_credentials", scope: "read write", ...PEER_CLIENT }),
    };

    if (values["cpu-only"]) {
      const only = new Set([...values["cpu-only"].split(","), "noop"]);
      for (const t of targets.filter((t) => only.has(t.name))) console.log(`${t.name}: ${await cpuPerRequest(t, () => workerdPids())} µs`);
      if (only.has("noop_post_form")) console.log(`noop_post_form: ${await cpuPerRequest({ ...targets[0]!, url: urls.noop.href }, () => workerdPids())} µs`);
      return;
    }

    const rows: Row[] = [];
    for (const t of targets) {
      await drive(t, 16, { duration: 1 }); // warm-up, not reported
      for (const c of CONNECTIONS) {
        rows.push(await drive(t, c, { duration: DURATION }));
        console.error(`  ${t.name} c=${c}: ${rows.at(-1)!.rps} req/s`);
      }
    }
    const peer: Row[] = [];
    await drive(peerTarget, 16, { duration: 1 });
    for (const c of CONNECTIONS) {
      peer.push({ ...(await drive(peerTarget, c, { duration: DURATION })), name: "oidc-provider" });
      console.error(`  peer c=${c}: ${peer.at(-1)!.rps} req/s`);
    }

    const ceiling = new Map(rows.filter((r) => r.name === "noop").map((r) => [r.connections, r.rps]));
    for (const r of rows) r.ratio_to_ceiling = Math.round((r.rps / ceiling.get(r.connections)!) * 100) / 100;
    const vsPeer = Object.fromEntries(
      CONNECTIONS.map((c) => [String(c), Math.round((rows.find((r) => r.name === "client_credentials" && r.connections === c)!.rps / peer.find((p) => p.connections === c)!.rps) * 100) / 100]),
    );

    console.error(`  CPU phase: ${CPU_REQUESTS} requests per scenario`);
    const cpu: Record<string, number> = {};
    for (const t of targets) cpu[t.name] = await cpuPerRequest(t, () => workerdPids());
    // Not a scenario of its own: the no-op Worker reading a form body as large as the
    // client_credentials one, to show what receiving a POST costs before any token logic.
    cpu.noop_post_form = await cpuPerRequest({ ...targets[0]!, name: "noop_post_form", url: urls.noop.href }, () => workerdPids());
    cpu.peer_client_credentials = await cpuPerRequest(peerTarget, () => [peerProcess.pid!]);
    cpu.token_logic_client_credentials = cpu.client_credentials! - cpu.noop!;

    const info = machine();
    const md = `Machine: ${info.cpu}, ${info.cores} cores, ${info.memory_gib} GiB; Node ${info.node}; workerd ${info.workerd}; ${DURATION} s per run.\n\n${table(rows, peer, vsPeer, cpu)}\n`;
    console.log("\n" + md);
    if (values.out) {
      mkdirSync(values.out, { recursive: true });
      writeFileSync(join(values.out, "results.md"), md);
      const json = { machine: info, issuer: ISSUER, scenarios: rows, peer, issuance_vs_peer: vsPeer, cpu_us_per_request: cpu };
      writeFileSync(join(values.out, "results.json"), JSON.stringify(json, null, 2) + "\n");
      console.error(`wrote ${join(values.out, "results.md")} and results.json`);
    }
  } finally {
    peerProcess.kill();
    await once(peerProcess, "exit").catch(() => {});
    await mf.dispose();
  }
}

await main();
