/**
 * npm run bench:profile -- [--requests N] [--only a,b] [--scenarios a,b] [--first N] [--cpu]
 *
 * Where edge-token's CPU goes, in instructions per request counted by valgrind's callgrind:
 * repeatable on a shared machine, where CPU time swings by a third between minutes. workerd
 * runs under callgrind (Miniflare's MINIFLARE_WORKERD_PATH), instrumentation switched on only
 * around each measured batch, so start-up and warm-up are not counted.
 *
 * One workerd holds edge-token, variants of it with one piece taken away (the code below
 * replaces it at bundle time), the floors, the fixture consumer and the no-op Worker. Reported:
 * each scenario against its floor, and what each piece costs.
 *
 * A fresh isolate's first tokens (`--first N`, 500 unless told; scenarios client_credentials_first,
 * implicit_first, floor_issue_first): a Worker of their own that has served nothing, its Durable
 * Objects edge-token's (a status object already running and its lease path optimised, as a new
 * isolate finds a region's object busy with its neighbours), counted from
 * its first request with nothing to warm up: its KV reads, the signing key opened, its index
 * leases (64, 128, 256, 512 for 500 tokens) and V8 still optimising, all averaged in.
 *
 * --cpu: the same variants measured in CPU time (user + system, /proc) instead, in interleaved
 * rounds at 16 connections: what instructions cannot see (system calls: the log line's write)
 * shows here, at the price of the machine's noise.
 */

import { execFileSync } from "node:child_process";
import { chmodSync, mkdirSync, mkdtempSync, readdirSync, readFileSync, writeFileSync } from "node:fs";
import { createRequire } from "node:module";
import { tmpdir } from "node:os";
import { join, resolve } from "node:path";
import { parseArgs } from "node:util";
import { build, type Plugin } from "esbuild";
import { exportJWK, generateKeyPair } from "jose";
import { convertV4MiniflareOptions, Miniflare } from "miniflare";
import { unstable_readConfig } from "wrangler";
import { hashSecret } from "../../src/store/application-keys.ts";
import { totalCpu, workerdPids } from "./cpu.ts";
import {
  bearerRequests,
  type Fresh,
  implicitDpopRequests,
  issuanceRequests,
  type ProofKey,
  possessionKeys,
  verificationRequests,
} from "./fresh-requests.ts";
import {
  createApplicationKey,
  createMachineKey,
  EDGE_TOKEN_OBJECTS,
  newSigningKeys,
  QUOTA,
  RUN_KEK,
  statusListOf,
  warmLeases,
} from "./workers.ts";

const { values } = parseArgs({
  options: {
    requests: { type: "string" },
    // V8 has not finished optimising the token path after a few hundred requests: measured before
    // then, the first edge-token scenario looked 10 % dearer than the same code warm.
    warm: { type: "string", default: "1500" },
    only: { type: "string" },
    // Only these scenarios (and the no-op), e.g. --scenarios client_credentials,floor_issue
    scenarios: { type: "string" },
    cpu: { type: "boolean", default: false },
    rounds: { type: "string", default: "5" },
    first: { type: "string", default: "500" },
    // Where each scenario's instructions go, by part of workerd (V8 compiling, garbage collection, JavaScript, crypto, SQLite, I/O).
    breakdown: { type: "boolean", default: false },
  },
});
const CPU = values.cpu;
const N = Number(values.requests ?? (CPU ? 3000 : 300));
const WARM = Number(values.warm);
const FIRST = Number(values.first);
/** Leases the status object serves before the fresh isolates' first tokens (see warmLeases). */
const LEASES_BEFORE_FIRST = 1000;
/**
 * The fresh isolates' scenarios: each its own Worker, measured from its first request. Beside
 * them, client_credentials_first_<variant> (a variant's name below, e.g.
 * client_credentials_first_no_log) is the same with that piece taken away, asked for by name
 * in --scenarios; client_credentials_first_no_lease is the one without its status index leases.
 */
const FIRST_SCENARIOS = ["client_credentials_first", "implicit_first", "floor_issue_first"];
const FIRST_VARIANT_PREFIX = "client_credentials_first_";
const ISSUER = "https://auth.bench";
const SCOPE = "read write";
const OUT = "test/fixtures/.build/profile";

/** A piece taken away: in `file`, each `from` becomes `to`; measured in `scenario` (client_credentials when unsaid). */
interface Variant {
  name: string;
  what: string;
  file: string;
  edits: [string, string][];
  scenario?: "pkjwt_dpop" | "verify_dpop";
}

const VARIANTS: Variant[] = [
  {
    name: "no_log",
    what: "the per-request log line (building it and console.log)",
    file: "src/router.ts",
    edits: [["logRequest(request, response);", ""]],
  },
  {
    name: "no_cors",
    what: "CORS headers on the response",
    file: "src/router.ts",
    edits: [["return withCors(response, request, origins);", "return response;"]],
  },
  {
    name: "no_router",
    what: "routing: the token endpoint's own path check (every other path: itty-router's URL parse, route match and dispatch)",
    file: "src/router.ts",
    edits: [['c.pathname === "/oauth/access_token" && request.method === "POST"', "true"]],
  },
  {
    name: "no_sign",
    what: "the Ed25519 signature (crypto.subtle.sign of header and payload)",
    file: "src/tokens/sign.ts",
    edits: [["new Uint8Array(await crypto.subtle.sign(SIGNING[signer.alg], signer.key, encoder.encode(input)))", "new Uint8Array(64)"]],
  },
  {
    name: "no_secret_check",
    what: "the secret's SHA-256 and constant-time compare",
    file: "src/auth/secret.ts",
    edits: [["const digest = await sha256(secret);", "if (storedHash !== undefined) return true; const digest = await sha256(secret);"]],
  },
  {
    name: "no_scope_policy",
    what: "scope, grant and audience policy",
    file: "src/handlers/token.ts",
    edits: [
      [
        'const scope = grantScope(client, grant, param(form, "scope"), s, namesAnApi(resources, issuer));',
        "const scope = client.scope!; void grantScope; void namesAnApi;",
      ],
      ["const audience = grantAudience(resources, scope, s, issuer);", "const audience = issuer; void grantAudience;"],
    ],
  },
  {
    name: "no_form",
    what: "form parsing (readForm)",
    file: "src/handlers/token.ts",
    edits: [
      ["const form = await readForm(request);", "const form = parseForm(await request.text());"],
      ['import { param, readForm } from "../http/form.ts";', 'import { param, parseForm, readForm } from "../http/form.ts";'],
    ],
  },
  {
    name: "no_status_index",
    what: "the token's status list index: the isolate's lease from its region's status object, one request per 64 to 4,096 tokens",
    file: "src/handlers/token.ts",
    edits: [
      [
        "const { list, idx } = heldStatusIndex() ?? (await statusIndex(env, s.tokenTtlSeconds, request, () => returnToQuota(client, kind, taken)));",
        'const { list, idx } = { list: "400000001", idx: 0 }; void statusIndex; void heldStatusIndex; void returnToQuota;',
      ],
    ],
  },
  {
    name: "no_ledger_request",
    what: "marking both jti used: the client's ledger (a Durable Object) asked once",
    file: "src/auth/client.ts",
    edits: [
      ["await ledger(env, client.client_id).useOnce(", "({ ok: true } as { ok: true } | { ok: false; used: string }); void ledger; void ("],
    ],
    scenario: "pkjwt_dpop",
  },
  {
    name: "no_status_check",
    what: "the status check (the token's bit in its list, its client's cut-off; the documents fetched once per cache period)",
    file: "test/fixtures/consumer/index.ts",
    edits: [["jwks: env.EDGE_TOKEN,", "jwks: env.EDGE_TOKEN, revocations: false,"]],
    scenario: "verify_dpop",
  },
  {
    name: "no_replay_memory",
    what: "the verifier's memory of proofs seen",
    file: "src/tokens/presentation.ts",
    edits: [["!seen.firstUse(proof.jkt, proof.jti)", "!seen"]],
    scenario: "verify_dpop",
  },
];

/** The piece a client_credentials_first_<variant> scenario takes away ("no_lease": its index leases). */
const firstVariant = (scenario: string): Variant | undefined => {
  if (!scenario.startsWith(FIRST_VARIANT_PREFIX)) return undefined;
  const name = scenario.slice(FIRST_VARIANT_PREFIX.length);
  return VARIANTS.find((v) => v.name === (name === "no_lease" ? "no_status_index" : name) && v.scenario === undefined);
};
/** The fresh isolates' scenarios of this run, the variants asked for by name among them. */
const firstScenarios = values.scenarios
  ? values.scenarios.split(",").filter((name) => FIRST_SCENARIOS.includes(name) || firstVariant(name))
  : [...FIRST_SCENARIOS, "client_credentials_first_no_lease"];

/** A DPoP key as a client holds it: Ed25519, or RSA with e = 65537 (4096 bits, the largest this service takes, unless told). */
async function proofKey(alg: "EdDSA" | "PS256", modulusLength = 4096): Promise<ProofKey> {
  const { privateKey, publicKey } = alg === "EdDSA" ? await generateKeyPair("Ed25519") : await generateKeyPair("PS256", { modulusLength });
  const { kty, crv, x, n, e } = await exportJWK(publicKey);
  return { alg, privateKey, jwk: alg === "EdDSA" ? { kty, crv, x } : { kty, n, e, alg: "PS256" } };
}

function takeAway(v: Variant | undefined): Plugin {
  return {
    name: "take-away",
    setup(b) {
      if (!v) return;
      const target = resolve(v.file);
      b.onLoad({ filter: /\.ts$/ }, (args) => {
        if (args.path !== target) return undefined;
        let source = readFileSync(args.path, "utf8");
        for (const [from, to] of v.edits) {
          if (!source.includes(from)) throw new Error(`${v.name}: "${from}" is not in ${v.file}`);
          source = source.replace(from, to);
        }
        return { contents: source, loader: "ts" };
      });
    },
  };
}

async function bundle(entry: string, name: string, v?: Variant): Promise<string> {
  mkdirSync(OUT, { recursive: true });
  const outfile = join(OUT, `${name}.mjs`);
  await build({
    entryPoints: [entry],
    outfile,
    bundle: true,
    minify: true,
    format: "esm",
    platform: "neutral",
    external: ["cloudflare:*"],
    loader: { ".md": "text" },
    plugins: [takeAway(v)],
    logLevel: "warning",
  });
  return outfile;
}

/** A wrapper Miniflare starts instead of workerd: workerd under callgrind, not instrumenting until told. */
/** Where callgrind writes its dumps (--breakdown). */
let callgrindDir = "";

function callgrindWorkerd(): string {
  const workerd = createRequire(createRequire(import.meta.url).resolve("miniflare"))("workerd").default as string;
  const dir = mkdtempSync(join(tmpdir(), "edge-token-callgrind-"));
  callgrindDir = dir;
  const script = join(dir, "workerd");
  writeFileSync(
    script,
    `#!/bin/sh\nexec valgrind --tool=callgrind --smc-check=all-non-file --instr-atstart=no --dump-instr=no --callgrind-out-file=${dir}/out.%p ${workerd} "$@"\n`,
  );
  chmodSync(script, 0o755);
  return script;
}

/** The callgrind process Miniflare started (it is workerd, exec'd under valgrind). */
function callgrindPid(): string {
  for (const name of readdirSync("/proc")) {
    if (!/^\d+$/.test(name)) continue;
    try {
      if (readFileSync(`/proc/${name}/comm`, "utf8").startsWith("callgrind")) return name;
    } catch {
      // gone meanwhile
    }
  }
  throw new Error("no callgrind process");
}

type Send = () => Promise<Response>;

/** CPU µs per request of the workerd processes, over N requests at 16 connections. */
async function cpuTime(send: Send): Promise<number> {
  for (let i = 0; i < 200; i++) await check(await send());
  const before = totalCpu(workerdPids());
  for (let sent = 0; sent < N; sent += 16) await Promise.all(Array.from({ length: 16 }, async () => check(await send())));
  return ((totalCpu(workerdPids()) - before) / N) * 1e6;
}

/** Instructions per request: counters zeroed, instrumentation on for exactly `n` requests after `warm`. */
async function instructions(pid: string, send: Send, warm = WARM, n = N, name = ""): Promise<number> {
  const control = (...args: string[]) => execFileSync("callgrind_control", [...args, pid], { encoding: "utf8" });
  for (let i = 0; i < warm; i++) await check(await send());
  control("--zero");
  control("--instr=on");
  for (let i = 0; i < n; i++) await check(await send());
  const out = control("-e", "Ir");
  if (values.breakdown && name) breakdowns.set(name, breakdown(control, n));
  control("--instr=off");
  const total = [...out.matchAll(/Th\s+\d+\s+([\d,]+)/g)].reduce((sum, m) => sum + Number(m[1]!.replaceAll(",", "")), 0);
  return total / n;
}

/** Parts of workerd, by the symbols callgrind attributes instructions to; the first that matches counts. */
const PARTS: [string, RegExp][] = [
  [
    "V8: compiling (parser, bytecode, Sparkplug, Maglev, TurboFan)",
    /v8::internal::(compiler|maglev|baseline|turboshaft|interpreter::Bytecode|Compiler|Parser|PreParser|Scanner|Ast|Zone|RegExp|CodeStub|Assembler|Macro|Deoptimizer|OptimizingCompile|Scope|FunctionLiteral|SharedFunctionInfo::EnsureSourcePositions)|Builtins_Compile|Builtins_.*Optimize/,
  ],
  [
    "V8: garbage collection",
    /v8::internal::(Heap|Scavenger|MarkCompact|Marking|Sweeper|MinorMark|ConcurrentMarking|IncrementalMarking|Evacuat|MemoryAllocator|PagedSpace|LargeObjectSpace|NewSpace|SemiSpace|MemoryChunk|MainMarking|Young|WeakObjects|.*ExternalPointerTable|.*ExternalEntityTable)|heap::base::|cppgc::/,
  ],
  ["JavaScript: JIT code, the interpreter and V8's builtins", /^(\?\?\?|0x[0-9a-f]+('\d+)?|Builtins_\S*)$/],
  ["V8: runtime (objects, strings, JSON, properties)", /v8::|V8|_ZN2v8|unibrow/],
  [
    "crypto (BoringSSL: Ed25519, SHA, AES-GCM, HMAC)",
    /^(fe_|ge_|sc_|x25519|table_select|sha256|sha512|SHA256|SHA512|aes|AES|gcm|GCM|CRYPTO_|EVP_|HMAC|hmac|bn_|BN_|ec_|EC_|RSA_|ED25519|ed25519|fiat_|curve25519|bssl::)/,
  ],
  ["SQLite", /sqlite3/],
  [
    "workerd: HTTP (hyper, tokio), RPC, KV and the runtime's APIs (kj, capnp, jsg)",
    /workerd|kj::|kj_|capnp::|jsg::|hyper|http::|httparse|tokio|futures_util|ada::|simdutf|bytes::/,
  ],
  [
    "libc, the allocators, the C++ and Rust runtimes",
    /^(__)?(mem|str|malloc|free|calloc|realloc|tcache|_int_|pthread|__libc|cfree|operator new|operator delete|__dynamic_cast|__rustc)|tcmalloc|je_|absl::|std::__1|alloc::/,
  ],
];

/** Instructions per request of the window just measured, by part (callgrind's dump of it, read with callgrind_annotate). */
function breakdown(control: (...args: string[]) => string, n: number): Map<string, number> {
  const before = new Set(readdirSync(callgrindDir));
  control("--dump");
  const file = readdirSync(callgrindDir).find((f) => f.startsWith("out.") && !before.has(f));
  if (!file) throw new Error("callgrind wrote no dump");
  const text = execFileSync("callgrind_annotate", ["--threshold=100", "--inclusive=no", join(callgrindDir, file)], {
    encoding: "utf8",
    maxBuffer: 1 << 28,
  });
  const parts = new Map<string, number>();
  for (const line of text.split("\n")) {
    const m = /^\s*([\d,]+)\s+\([\s\d.]+%\)\s+(\S.*?)(?:\s+\[[^\]]*\])?\s*$/.exec(line);
    if (!m || m[2] === "PROGRAM TOTALS") continue;
    const fn = m[2]!.replace(/^(\?\?\?|[^\s:]+\.(?:c|cc|cpp|cxx|h|hpp|S|s)):/, "");
    const head = fn.split("(")[0]!; // the name, without its parameters' types
    const part = PARTS.find(([, re]) => re.test(head))?.[0] ?? "other";
    parts.set(part, (parts.get(part) ?? 0) + Number(m[1]!.replaceAll(",", "")) / n);
  }
  return parts;
}

const breakdowns = new Map<string, Map<string, number>>();

async function check(r: Response): Promise<void> {
  await r.arrayBuffer();
  if (r.status !== 200) throw new Error(`answered ${r.status}`);
}

async function main() {
  if (!CPU) process.env.MINIFLARE_WORKERD_PATH = callgrindWorkerd();
  const only = values.only ? new Set(values.only.split(",")) : undefined;
  const variants = VARIANTS.filter((v) => !only || only.has(v.name));
  const service = unstable_readConfig({ config: "wrangler.toml" });
  const SIGNING_KEYS = await newSigningKeys();
  const kv = Object.fromEntries(service.kv_namespaces.map((n: { binding: string; id?: string }) => [n.binding, n.id!]));
  const compatibilityDate = service.compatibility_date!;
  const edgeBindings = { ...(service.vars as Record<string, string>), SIGNING_KEYS, SIGNING_KEY_KEK: RUN_KEK, ISSUER };
  const floorClient = { client_id: "f".repeat(40), client_secret: "floor-secret-0123456789abcdefghijklmnopqrstuv" };
  // floor_issue, warm and on its first 500: the same Worker with the same client.
  const floorIssue = {
    bindings: {
      SIGNING_KEYS,
      ISSUER,
      CLIENT_ID: floorClient.client_id,
      CLIENT_SECRET_HASH: await hashSecret(floorClient.client_secret),
      SCOPE,
    },
  };
  const possession = await possessionKeys();
  const consumerOptions = {
    serviceBindings: { AUTH: { name: "edge-token", entrypoint: "TokenVerifier" }, EDGE_TOKEN: "edge-token" },
    bindings: { ISSUER },
  };
  const worker = (name: string, scriptPath: string, extra: Record<string, unknown> = {}) => ({
    name,
    modules: true,
    scriptPath,
    compatibilityDate,
    unsafeDirectSockets: [{ port: 0 }],
    ...extra,
  });

  const mf = new Miniflare(
    convertV4MiniflareOptions({
      handleStructuredLogs: ({ level, message }: { level: string; message: string }) =>
        void (level === "error" && console.error(`  workerd: ${message.slice(0, 300)}`)),
      workers: [
        worker("edge-token", await bundle("src/index.ts", "edge-token"), {
          kvNamespaces: kv,
          durableObjects: EDGE_TOKEN_OBJECTS,
          bindings: edgeBindings,
        }),
        ...(await Promise.all(
          variants.map(async (v) =>
            v.scenario === "verify_dpop"
              ? worker(v.name, await bundle("test/fixtures/consumer/index.ts", v.name, v), consumerOptions)
              : worker(v.name, await bundle("src/index.ts", v.name, v), {
                  kvNamespaces: kv,
                  bindings: edgeBindings,
                  // Its own registry and ledgers: keys are made in edge-token's, and read from the KV they share.
                  durableObjects: EDGE_TOKEN_OBJECTS,
                }),
          ),
        )),
        // A fresh isolate each, for the first-tokens scenarios: edge-token's Durable Objects, its keys in the KV they share.
        ...(await Promise.all(
          firstScenarios
            .filter((name) => name !== "floor_issue_first")
            .map(async (name) =>
              worker(name, await bundle("src/index.ts", name, firstVariant(name)), {
                kvNamespaces: kv,
                bindings: edgeBindings,
                durableObjects: Object.fromEntries(
                  Object.entries(EDGE_TOKEN_OBJECTS).map(([b, d]) => [b, { className: d.className, scriptName: "edge-token" }]),
                ),
              }),
            ),
        )),
        ...(firstScenarios.includes("floor_issue_first")
          ? [worker("floor_issue_first", await bundle("test/bench/floors/issue.ts", "floor-issue"), floorIssue)]
          : []),
        worker("consumer", await bundle("test/fixtures/consumer/index.ts", "consumer"), consumerOptions),
        worker("noop", await bundle("test/bench/floors/noop.ts", "noop")),
        worker("floor_issue", await bundle("test/bench/floors/issue.ts", "floor-issue"), floorIssue),
        worker("floor_verify", await bundle("test/bench/floors/verify.ts", "floor-verify"), { bindings: { SIGNING_KEYS, ISSUER } }),
        worker("floor_verify_rpc", await bundle("test/bench/floors/verify-rpc.ts", "floor-verify-rpc"), {
          bindings: { SIGNING_KEYS, ISSUER },
          serviceBindings: { FLOOR: { name: "floor_verify_rpc", entrypoint: "FloorVerifier" } },
        }),
        worker("floor_issue_dpop", await bundle("test/bench/floors/issue-dpop.ts", "floor-issue-dpop"), {
          bindings: { SIGNING_KEYS, ISSUER, CLIENT_ID: floorClient.client_id, CLIENT_KEY: JSON.stringify(possession.assertionJwk), SCOPE },
        }),
        worker("floor_verify_dpop", await bundle("test/bench/floors/verify-dpop.ts", "floor-verify-dpop"), {
          bindings: { SIGNING_KEYS, ISSUER },
        }),
      ],
    } as never),
  );
  try {
    await mf.ready;
    const pid = CPU ? "" : callgrindPid();
    const made = await createApplicationKey(mf, { name: "profile", scope: SCOPE, grant_types: ["client_credentials", "implicit"] });
    const record = { client_id: made.client_id };
    const clientSecret = made.client_secret;
    const url = async (name: string, path: string) => new URL(path, await mf.unsafeGetDirectURL(name)).href;
    const FORM = { "content-type": "application/x-www-form-urlencoded" };
    const post = (u: string, params: Record<string, string>): Send => {
      const body = new URLSearchParams(params).toString();
      return () => fetch(u, { method: "POST", headers: FORM, body });
    };
    const cc = { grant_type: "client_credentials", client_id: record.client_id, client_secret: clientSecret };
    const metered = await createApplicationKey(mf, {
      name: "metered",
      scope: SCOPE,
      grant_types: ["client_credentials"],
      token_quota: QUOTA,
    });
    const ccMetered = { grant_type: "client_credentials", client_id: metered.client_id, client_secret: metered.client_secret };
    const get =
      (u: string): Send =>
      () =>
        fetch(u);
    // Requests that cannot repeat (each jti is used once), made a hundred at a time as they are
    // sent: under callgrind a measurement outlasts the minute a DPoP proof is accepted for.
    const pooled = async (u: string, method: "GET" | "POST", make: (n: number) => Promise<Fresh[]>): Promise<Send> => {
      let items: Fresh[] = [];
      return async () => {
        if (items.length === 0) items = await make(100);
        return fetch(u, { method, ...items.shift()! });
      };
    };
    const machine = await createMachineKey(mf, possession, SCOPE);
    // The list the tokens signed here name: a real one of edge-token's, fetched as a verifier fetches it.
    const statusUri = await statusListOf(mf);
    const issuance = async (name: string, path: string, clientId: string) => {
      const u = await url(name, path);
      return pooled(u, "POST", (n) => issuanceRequests(n, possession, clientId, ISSUER, u));
    };
    const boundGet = async (name: string) => {
      const u = await url(name, "/module/catalog");
      const o = { signingKeys: SIGNING_KEYS, issuer: ISSUER, statusUri, url: u };
      return pooled(u, "GET", (n) => verificationRequests(n, possession, o));
    };
    // A fresh bearer token per request, each of a client of its own: the signature and the status check of a token never seen are measured.
    const freshGet = async (name: string, path: string) =>
      pooled(await url(name, path), "GET", (n) => bearerRequests(n, { signingKeys: SIGNING_KEYS, issuer: ISSUER, statusUri }));

    const measured = new Map<string, number>();
    const rounds = new Map<string, number[]>();
    const wanted = values.scenarios ? new Set(["noop", ...values.scenarios.split(",")]) : undefined;
    const measure = async (name: string, send: Send) => {
      if (wanted && !wanted.has(name) && !variants.some((v) => v.name === name)) return;
      if (CPU) {
        rounds.set(name, [...(rounds.get(name) ?? []), await cpuTime(send)]);
        const xs = [...rounds.get(name)!].sort((a, b) => a - b);
        measured.set(name, xs[Math.floor(xs.length / 2)]! * 1000); // µs, shown in the tables' "thousands"
        return;
      }
      measured.set(name, await instructions(pid, send, WARM, N, name));
      console.error(`  ${name}: ${(measured.get(name)! / 1000).toFixed(0)} k instructions per request`);
    };
    for (let round = 0; round < (CPU ? Number(values.rounds) : 1); round++) {
      await measure("noop", get(await url("noop", "/")));
      await measure("floor_issue", post(await url("floor_issue", "/"), { grant_type: "client_credentials", ...floorClient }));
      await measure("client_credentials", post(await url("edge-token", "/oauth/access_token"), cc));
      // A key with a token_quota: its ledger is asked once per lease (100 tokens for a large quota).
      await measure("client_credentials_quota", post(await url("edge-token", "/oauth/access_token"), ccMetered));
      await measure(
        "implicit",
        post(await url("edge-token", "/oauth/access_token"), { grant_type: "implicit", client_id: record.client_id }),
      );
      await measure("floor_verify", await freshGet("floor_verify", "/module/catalog"));
      await measure("verify_module", await freshGet("consumer", "/module/catalog"));
      await measure("floor_verify_rpc", await freshGet("floor_verify_rpc", "/rpc/catalog"));
      await measure("verify_rpc", await freshGet("consumer", "/rpc/catalog"));
      await measure("floor_issue_dpop", await issuance("floor_issue_dpop", "/", floorClient.client_id));
      await measure("pkjwt_dpop", await issuance("edge-token", "/oauth/access_token", machine.client_id));
      await measure("floor_verify_dpop", await boundGet("floor_verify_dpop"));
      await measure("verify_dpop", await boundGet("consumer"));
      // One DPoP proof checked at the token endpoint, with an Ed25519 key and with the largest RSA key taken (4096 bits).
      for (const [name, key] of [
        ["implicit_dpop_eddsa", await proofKey("EdDSA")],
        ["implicit_dpop_rsa2048", await proofKey("PS256", 2048)],
        ["implicit_dpop_rsa4096", await proofKey("PS256", 4096)],
      ] as const) {
        const u = await url("edge-token", "/oauth/access_token");
        await measure(name, await pooled(u, "POST", (n) => implicitDpopRequests(n, key, record.client_id, u)));
      }
      for (const v of variants) {
        if (v.scenario === "pkjwt_dpop") await measure(v.name, await issuance(v.name, "/oauth/access_token", machine.client_id));
        else if (v.scenario === "verify_dpop") await measure(v.name, await boundGet(v.name));
        else await measure(v.name, post(await url(v.name, "/oauth/access_token"), cc));
      }
      if (CPU) console.error(`  round ${round + 1}: ${[...rounds].map(([k, xs]) => `${k} ${xs.at(-1)!.toFixed(0)}`).join(", ")}`);
    }
    // A fresh isolate's first tokens, nothing warmed up (once: a fresh isolate cannot be measured in rounds).
    {
      const send = (name: string) => async () =>
        name === "floor_issue_first"
          ? post(await url(name, "/"), { grant_type: "client_credentials", ...floorClient })
          : name === "implicit_first"
            ? post(await url(name, "/oauth/access_token"), { grant_type: "implicit", client_id: record.client_id })
            : post(await url(name, "/oauth/access_token"), cc);
      const firsts = firstScenarios.map((name) => [name, send(name)] as const);
      // The status object a new isolate leases from is already running in production (it is a
      // region's, busy with every isolate there): its own start (its code compiled, its first
      // lists made) is not a new isolate's to pay. The warm scenarios did that when they ran; a
      // run of only the fresh isolates does it here, uncounted, with leases of each size.
      if (firsts.length > 0) {
        const warmUp = post(await url("edge-token", "/oauth/access_token"), cc);
        for (let i = 0; i < FIRST; i++) await check(await warmUp());
        // Nor are its methods' first runs: V8 optimises a method after it has run some hundreds of
        // times, which a region's object, leasing to every new isolate there, did long ago. The
        // warm-up above leased only a few times; these leases of one index each make up for it.
        await warmLeases(mf, LEASES_BEFORE_FIRST);
      }
      for (const [name, send] of firsts) {
        if (CPU) {
          // One at a time, as the instructions are counted; µs, shown in the tables' "thousands".
          const next = await send();
          const before = totalCpu(workerdPids());
          for (let i = 0; i < FIRST; i++) await check(await next());
          measured.set(name, ((totalCpu(workerdPids()) - before) / FIRST) * 1e9);
          console.error(`  ${name}: ${(measured.get(name)! / 1000).toFixed(0)} µs CPU per request, its first ${FIRST}`);
          continue;
        }
        measured.set(name, await instructions(pid, await send(), 0, FIRST, name));
        console.error(`  ${name}: ${(measured.get(name)! / 1000).toFixed(0)} k instructions per request, its first ${FIRST}`);
      }
    }

    const k = (x: number) => (x / 1000).toFixed(0);
    const noop = measured.get("noop")!;
    const over = (name: string) => measured.get(name)! - noop;
    console.log(
      CPU
        ? `\nCPU µs per request (user + system), median of ${values.rounds} interleaved rounds of ${N} requests at 16 connections.\n`
        : `\nInstructions per request (thousands), counted by callgrind; ${N} requests each after ${WARM} to warm up.\n`,
    );
    console.log("| scenario | total | over the no-op | × its floor |\n| --- | ---: | ---: | ---: |");
    for (const [name, floor] of [
      ["client_credentials", "floor_issue"],
      ["client_credentials_quota", "floor_issue"],
      ["implicit", "floor_issue"],
      ["floor_issue", ""],
      ["verify_module", "floor_verify"],
      ["verify_rpc", "floor_verify_rpc"],
      ["floor_verify", ""],
      ["floor_verify_rpc", ""],
      ["pkjwt_dpop", "floor_issue_dpop"],
      ["floor_issue_dpop", ""],
      ["verify_dpop", "floor_verify_dpop"],
      ["floor_verify_dpop", ""],
      ["noop", ""],
    ] as const) {
      if (!measured.has(name) || (floor && !measured.has(floor))) continue;
      console.log(`| ${name} | ${k(measured.get(name)!)} | ${k(over(name))} | ${floor ? (over(name) / over(floor)).toFixed(2) : ""} |`);
    }
    for (const [scenario, floor] of [
      ["client_credentials", "floor_issue"],
      ["pkjwt_dpop", "floor_issue_dpop"],
      ["verify_dpop", "floor_verify_dpop"],
    ] as const) {
      const taken = variants.filter((v) => (v.scenario ?? "client_credentials") === scenario);
      if (taken.length === 0 || !measured.has(scenario) || !measured.has(floor)) continue;
      console.log(
        `\n| piece taken away (${scenario}) | instructions saved (thousands) | share of the gap to the floor |\n| --- | ---: | ---: |`,
      );
      const gap = over(scenario) - over(floor);
      for (const v of taken) {
        const saved = measured.get(scenario)! - measured.get(v.name)!;
        console.log(`| ${v.what} | ${k(saved)} | ${((saved / gap) * 100).toFixed(0)} % |`);
      }
      console.log(`| (the gap: ${scenario} − ${floor}) | ${k(gap)} | 100 % |`);
    }
    if (firstScenarios.some((name) => measured.has(name))) {
      console.log(
        `\n| a fresh isolate's first ${FIRST} requests | total | over the no-op | × floor_issue (warm) | × floor_issue_first (its first ${FIRST} too) |\n| --- | ---: | ---: | ---: | ---: |`,
      );
      const times = (name: string, floor: string) =>
        measured.has(name) && measured.has(floor) ? (over(name) / over(floor)).toFixed(2) : "";
      for (const name of firstScenarios) {
        if (!measured.has(name)) continue;
        const first = name !== "floor_issue_first";
        console.log(
          `| ${name} | ${k(measured.get(name)!)} | ${k(over(name))} | ${first ? times(name, "floor_issue") : ""} | ${first ? times(name, "floor_issue_first") : ""} |`,
        );
      }
    }
    if (breakdowns.size > 0) {
      const names = [...breakdowns.keys()];
      const parts = [...PARTS.map(([p]) => p), "other"].filter((p) => names.some((n) => (breakdowns.get(n)!.get(p) ?? 0) > 0));
      console.log(
        `\n| instructions per request (thousands), by part | ${names.join(" | ")} |\n| --- | ${names.map(() => "---:").join(" | ")} |`,
      );
      for (const p of parts) console.log(`| ${p} | ${names.map((n) => k(breakdowns.get(n)!.get(p) ?? 0)).join(" | ")} |`);
      console.log(`| (all) | ${names.map((n) => k([...breakdowns.get(n)!.values()].reduce((a, b) => a + b, 0))).join(" | ")} |`);
    }
    if (measured.has("no_router")) {
      const router = measured.get("client_credentials")! - measured.get("no_router")!;
      console.log(
        `\n| routing (the token endpoint's path check; itty-router for every other path) | instructions per client_credentials request (thousands) |\n| --- | ---: |\n| routing | ${k(router)} |`,
      );
    }
  } finally {
    await mf.dispose();
  }
}

await main();
