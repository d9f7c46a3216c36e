/**
 * What the bench reports: throughput and latency per scenario, CPU per request over the no-op,
 * each issuance and verification against its floor, the targets met and missed, and the KV
 * capacity model. Pure functions of the measurements; bench.ts does the measuring.
 */
import type { CountRow, LeaseRow } from "./count.ts";

export interface Row {
  name: string;
  connections: number;
  rps: number;
  p50_ms: number;
  p99_ms: number;
  errors: number;
}

/** Which floor each measured scenario is held against. */
export const FLOOR_OF = {
  client_credentials: "floor_issue",
  client_credentials_quota: "floor_issue",
  implicit: "floor_issue",
  verify_module: "floor_verify",
  verify_rpc: "floor_verify_rpc",
  pkjwt_dpop: "floor_issue_dpop",
  verify_dpop: "floor_verify_dpop",
} as const;
export type FloorRatios = Record<keyof typeof FLOOR_OF, number>;

/** CPU µs per request over the no-op (what a Worker's own code costs beyond receiving a request). */
export function overNoop(cpu: Record<string, number>): Record<string, number> {
  return Object.fromEntries(
    Object.entries(cpu)
      .filter(([k]) => k !== "peer_client_credentials")
      .map(([k, v]) => [k, v - cpu.noop!]),
  );
}

export function floorRatios(cpu: Record<string, number>): FloorRatios {
  const over = overNoop(cpu);
  const names = Object.keys(FLOOR_OF) as (keyof typeof FLOOR_OF)[];
  return Object.fromEntries(names.map((name) => [name, round2(over[name]! / over[FLOOR_OF[name]]!)])) as FloorRatios;
}

export interface Target {
  target: string;
  measured: string;
  met: boolean;
}

export function targets(rows: Row[], cpu: Record<string, number>, ratios: FloorRatios): Target[] {
  const p99AtOne = rows.filter((r) => r.connections === 1);
  const errors = rows.reduce((sum, r) => sum + r.errors, 0);
  const vsPeer = round2(cpu.client_credentials! / cpu.peer_client_credentials!);
  const list: Target[] = [
    {
      target: "client_credentials ≤ 1.3 × floor_issue (CPU over the no-op)",
      measured: `${ratios.client_credentials} ×`,
      met: ratios.client_credentials <= 1.3,
    },
    {
      target: "client_credentials with a token_quota ≤ 1.3 × floor_issue",
      measured: `${ratios.client_credentials_quota} ×`,
      met: ratios.client_credentials_quota <= 1.3,
    },
    { target: "implicit ≤ 1.3 × floor_issue", measured: `${ratios.implicit} ×`, met: ratios.implicit <= 1.3 },
    { target: "verify_module ≤ 1.3 × floor_verify", measured: `${ratios.verify_module} ×`, met: ratios.verify_module <= 1.3 },
    { target: "verify_rpc ≤ 1.3 × floor_verify_rpc", measured: `${ratios.verify_rpc} ×`, met: ratios.verify_rpc <= 1.3 },
    {
      target: "private_key_jwt + DPoP issuance ≤ 1.3 × floor_issue_dpop",
      measured: `${ratios.pkjwt_dpop} ×`,
      met: ratios.pkjwt_dpop <= 1.3,
    },
    {
      target: "verify_dpop (fresh token and proof) ≤ 1.3 × floor_verify_dpop",
      measured: `${ratios.verify_dpop} ×`,
      met: ratios.verify_dpop <= 1.3,
    },
    {
      target: "client_credentials CPU ≤ 0.8 × the peer's",
      measured: `${cpu.client_credentials} vs ${cpu.peer_client_credentials} µs: ${vsPeer} ×`,
      met: vsPeer <= 0.8,
    },
    { target: "0 errors", measured: String(errors), met: errors === 0 },
  ];
  if (p99AtOne.length) {
    const worst = Math.max(...p99AtOne.map((r) => r.p99_ms));
    list.splice(list.length - 2, 0, { target: "p99 ≤ 5 ms at 1 connection", measured: `${worst} ms at worst`, met: worst <= 5 });
  }
  return list;
}

const round2 = (x: number) => Math.round(x * 100) / 100;

export function markdown(o: {
  machine: string;
  rows: Row[];
  peer: Row[];
  cpu: Record<string, number>;
  /** Each round's CPU µs per request: the spread says how far to trust a ratio. */
  samples: Record<string, number[]>;
  ratios: FloorRatios;
  targets: Target[];
  counts: CountRow[];
  leases: LeaseRow[];
}): string {
  const over = overNoop(o.cpu);
  const cpuNames = Object.keys(o.cpu);
  return [
    o.machine,
    "",
    "| scenario | connections | req/s | p50 ms | p99 ms | errors |",
    "| --- | ---: | ---: | ---: | ---: | ---: |",
    ...o.rows.map((r) => `| ${r.name} | ${r.connections} | ${r.rps} | ${r.p50_ms} | ${r.p99_ms} | ${r.errors} |`),
    ...o.peer.map(
      (r) => `| peer: oidc-provider client_credentials | ${r.connections} | ${r.rps} | ${r.p50_ms} | ${r.p99_ms} | ${r.errors} |`,
    ),
    "",
    `| CPU per request (µs) | ${cpuNames.join(" | ")} |`,
    `| --- | ${cpuNames.map(() => "---:").join(" | ")} |`,
    `| total | ${cpuNames.map((n) => o.cpu[n]).join(" | ")} |`,
    `| over the no-op | ${cpuNames.map((n) => (over[n] === undefined ? "" : over[n])).join(" | ")} |`,
    `| rounds (min–max) | ${cpuNames.map((n) => `${Math.min(...o.samples[n]!)}–${Math.max(...o.samples[n]!)}`).join(" | ")} |`,
    "",
    `| × its floor (CPU over the no-op) | ${Object.keys(FLOOR_OF).join(" | ")} |`,
    `| --- | ${Object.keys(FLOOR_OF)
      .map(() => "---:")
      .join(" | ")} |`,
    `| | ${Object.values(o.ratios).join(" | ")} |`,
    "",
    "| target | measured | |",
    "| --- | --- | --- |",
    ...o.targets.map((t) => `| ${t.target} | ${t.measured} | ${t.met ? "met" : "missed"} |`),
    "",
    "| per request | cold isolate: KV reads / writes / deletes / lists; Durable Object requests: registry / status object / ledger | warm isolate | model |",
    "| --- | --- | --- | --- |",
    ...o.counts.map((c) => `| ${c.name} | ${fmtCounts(c.cold)} | ${fmtCounts(c.warm)} | ${c.as_expected ? "as stated" : "**differs**"} |`),
    "",
    ...leaseTable(o.leases),
  ].join("\n");
}

const fmtCounts = (c: CountRow["cold"]) =>
  `${c.reads} / ${c.writes} / ${c.deletes} / ${c.lists}; ${c.registry} / ${c.status} / ${c.ledger}`;

/** One isolate's token requests from its first, a lease's range at a time: each grant's Durable Object requests and KV reads per range. */
function leaseTable(leases: LeaseRow[]): string[] {
  if (leases.length === 0) return [];
  const grants = [...new Set(leases.map((l) => l.grant))];
  const ranges = leases.filter((l) => l.grant === grants[0]);
  const cell = (l: LeaseRow | undefined) =>
    l ? `${l.counts.registry} / ${l.counts.status} / ${l.counts.ledger}, ${l.counts.reads}${l.as_expected ? "" : " **differs**"}` : "";
  return [
    `| tokens of one isolate (its lease) | ${grants.map((g) => `${g}: Durable Object requests registry / status object / ledger, KV reads`).join(" | ")} |`,
    `| --- | ${grants.map(() => "---").join(" | ")} |`,
    ...ranges.map(
      (r) =>
        `| ${r.first}–${r.last} (${r.lease}) | ${grants.map((g) => cell(leases.find((l) => l.grant === g && l.first === r.first))).join(" | ")} |`,
    ),
    "",
  ];
}
