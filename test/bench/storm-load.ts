/**
 * The revocation storm of test/bench/storm.ts, in a worker thread of its own so that sending it
 * never delays the latency being measured on the main thread: an open loop of `rate`
 * revocations a second, each an implicit token of the storefront's revoked with nothing but its
 * public client_id (RFC 7009, a public client), from many caller addresses (CF-Connecting-IP),
 * a tenth of them from a few addresses that send more than REVOKE_PER_IP allows. On "stop" it
 * waits for the requests under way and answers what it saw.
 */
import { execFileSync } from "node:child_process";
import { readlinkSync } from "node:fs";
import { parentPort, workerData } from "node:worker_threads";

export interface StormLoad {
  url: string;
  rate: number;
  clientId: string;
  tokens: string[];
  /** Addresses the most of the storm comes from, each sending well under REVOKE_PER_IP. */
  spread: number;
  /** Addresses a tenth of it comes from, each over the limit. */
  hot: number;
  /** The cores (taskset's list) this thread runs on, if it is pinned (storm.ts --pin). */
  cpus?: string;
}

export interface StormSeen {
  sent: number;
  /** Responses by status code ("error": no response). */
  statuses: Record<string, number>;
  /** ms, of the revocations answered 200. */
  p50_ms: number;
  p99_ms: number;
  seconds: number;
}

const load = workerData as StormLoad;
// This thread alone (its id from /proc/thread-self, "<pid>/task/<tid>"), not the process.
if (load.cpus) execFileSync("taskset", ["-p", "-c", load.cpus, readlinkSync("/proc/thread-self").split("/").at(-1)!], { stdio: "ignore" });
const latencies: number[] = [];
const statuses: Record<string, number> = {};
let sent = 0;
let stopping = false;
const inFlight = new Set<Promise<void>>();

function address(i: number): string {
  if (load.hot > 0 && i % 10 === 0) return `198.19.255.${(i / 10) % load.hot}`;
  const k = Math.floor(Math.random() * load.spread);
  return `198.18.${k >> 8}.${k & 255}`;
}

function revoke(i: number): Promise<void> {
  const body = new URLSearchParams({ token: load.tokens[i % load.tokens.length]!, client_id: load.clientId }).toString();
  const t = performance.now();
  return fetch(load.url, {
    method: "POST",
    headers: { "content-type": "application/x-www-form-urlencoded", "CF-Connecting-IP": address(i) },
    body,
  }).then(
    async (r) => {
      await r.arrayBuffer();
      statuses[r.status] = (statuses[r.status] ?? 0) + 1;
      if (r.status === 200) latencies.push(performance.now() - t);
    },
    () => {
      statuses.error = (statuses.error ?? 0) + 1;
    },
  );
}

const started = performance.now();
const timer = setInterval(() => {
  if (stopping) return;
  const due = Math.floor(((performance.now() - started) / 1000) * load.rate) - sent;
  for (let n = 0; n < due; n++) {
    const p = revoke(sent++);
    inFlight.add(p);
    void p.finally(() => inFlight.delete(p));
  }
}, 5);

parentPort!.on("message", async (message) => {
  if (message !== "stop") return;
  stopping = true;
  clearInterval(timer);
  const seconds = (performance.now() - started) / 1000;
  await Promise.all(inFlight);
  const sorted = latencies.sort((a, b) => a - b);
  const at = (q: number) => (sorted.length ? Math.round(sorted[Math.min(sorted.length - 1, Math.floor(q * sorted.length))]! * 10) / 10 : 0);
  parentPort!.postMessage({ sent, statuses, p50_ms: at(0.5), p99_ms: at(0.99), seconds } satisfies StormSeen);
});
