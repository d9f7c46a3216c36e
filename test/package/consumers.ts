/**
 * `npm run test:package`: the package as others install it. `npm pack` builds the tarball
 * (prepack), its size and files are printed and held to a budget, and three consumers, each in a
 * fresh folder with nothing but the tarball and their own dependencies, verify tokens from a
 * running edge-token (npm start): a plain Node HTTP server (the Node recipe), a Worker made as
 * Cloudflare's template makes one (tsc --noEmit clean, wrangler deploy --dry-run, then served in
 * workerd: the itty-router recipe in-process and the Service Binding recipe over RPC), and a Hono
 * app with withToken. Each serves its RFC 9728 document, names it in its 401, takes a live token
 * for its API and refuses a revoked one.
 */
import { type ChildProcess, execFile, spawn } from "node:child_process";
import { rmSync } from "node:fs";
import { copyFile, mkdir, mkdtemp, readFile, writeFile } from "node:fs/promises";
import { connect } from "node:net";
import { tmpdir } from "node:os";
import { dirname, join } from "node:path";
import { promisify } from "node:util";
import { freePort } from "../../src/cli/ports.ts";
import { ROOT } from "../../src/cli/wrangler.ts";

/** The budget: the verifier's code, its types, README, LICENSE and CHANGELOG. */
const BUDGET = { unpackedBytes: 100_000, files: 30 };
const RESOURCE = "https://orders.example";
const METADATA_URL = `${RESOURCE}/.well-known/oauth-protected-resource`;
const own = JSON.parse(await readFile(join(ROOT, "package.json"), "utf8")) as { devDependencies: Record<string, string> };
/** A consumer's own dependencies, at the versions this repository pins (so npm's cache has them). */
const pinned = (...names: string[]) => Object.fromEntries(names.map((n) => [n, own.devDependencies[n]!]));
// The consumers run on this Node (22, the project's), never on this repository's node_modules/.bin.
const PATH = [dirname(process.execPath), ...(process.env.PATH ?? "").split(":").filter((p) => !p.startsWith(ROOT))].join(":");

const run = promisify(execFile);
const children: ChildProcess[] = [];
const work = await mkdtemp(join(tmpdir(), "edge-token-package-"));
let failed = false;
// However the run ends (a throw included), no server it started outlives it, nor its folders.
process.on("exit", () => {
  for (const c of children) {
    try {
      if (c.pid !== undefined) process.kill(-c.pid, "SIGKILL");
    } catch {}
  }
  rmSync(work, { recursive: true, force: true });
});

function check(what: string, ok: boolean, detail = ""): void {
  console.log(`${ok ? "ok  " : "FAIL"} ${what}${detail ? `: ${detail}` : ""}`);
  if (!ok) failed = true;
}

/** A command's output, stdout then stderr (only stdout with `stdoutOnly`). */
async function sh(cwd: string, command: string, args: string[], env: Record<string, string> = {}, stdoutOnly = false): Promise<string> {
  const { stdout, stderr } = await run(command, args, { cwd, env: { ...process.env, PATH, ...env }, maxBuffer: 64 << 20 });
  return stdoutOnly ? stdout : `${stdout}${stderr}`;
}

function start(cwd: string, command: string, args: string[], env: Record<string, string> = {}): ChildProcess {
  const child = spawn(command, args, { cwd, env: { ...process.env, PATH, ...env }, stdio: ["ignore", "pipe", "pipe"], detached: true });
  let output = "";
  child.stdout!.on("data", (d) => (output += d));
  child.stderr!.on("data", (d) => (output += d));
  child.on("exit", (code) => {
    if (code && code !== 0 && !stopping) console.log(`${command} ${args.join(" ")} exited ${code}:\n${output.slice(-3000)}`);
  });
  children.push(child);
  return child;
}

async function waitFor(url: string, seconds = 90): Promise<void> {
  for (let i = 0; i < seconds * 4; i++) {
    if ((await fetch(url).catch(() => undefined))?.status !== undefined) return;
    await new Promise((r) => setTimeout(r, 250));
  }
  throw new Error(`${url} never answered`);
}

let stopping = false;
async function stopAll(): Promise<void> {
  stopping = true;
  for (const c of children) {
    try {
      if (c.pid !== undefined) process.kill(-c.pid, "SIGINT");
    } catch {}
  }
  await new Promise((r) => setTimeout(r, 1500));
  for (const c of children) {
    try {
      if (c.pid !== undefined) process.kill(-c.pid, "SIGKILL");
    } catch {}
  }
}

// 1. The tarball, as npm pack builds it.
const packed = JSON.parse(await sh(ROOT, "npm", ["pack", "--json", "--pack-destination", work], {}, true)) as {
  filename: string;
  size: number;
  unpackedSize: number;
  entryCount: number;
  files: { path: string; size: number }[];
}[];
const pack = packed[0]!;
const tarball = join(work, pack.filename);
console.log(`\n${pack.filename}: ${pack.size} bytes packed, ${pack.unpackedSize} bytes unpacked, ${pack.entryCount} files`);
for (const f of pack.files) console.log(`  ${String(f.size).padStart(6)}  ${f.path}`);
check(
  `within the budget (${BUDGET.unpackedBytes} bytes unpacked, ${BUDGET.files} files)`,
  pack.unpackedSize <= BUDGET.unpackedBytes && pack.entryCount <= BUDGET.files,
);
const stray = pack.files
  .map((f) => f.path)
  .filter((p) => !/^(dist\/.+\.(js|d\.ts)|README\.md|LICENSE|CHANGELOG\.md|package\.json)$/.test(p));
check("nothing but dist/ (JavaScript and types), README, LICENSE, CHANGELOG and package.json", stray.length === 0, stray.join(", "));
// A verifier checks signatures and never makes one: nothing of jose's signing in what consumers bundle.
const signing: string[] = [];
for (const file of ["dist/verify.js", "dist/rpc.js"]) {
  if (/\b(SignJWT|CompactSign|FlattenedSign|GeneralSign)\b/.test(await readFile(join(ROOT, file), "utf8"))) signing.push(file);
}
check("the verifier imports no signing (jose's SignJWT and the like)", signing.length === 0, signing.join(", "));

// 2. edge-token, served as npm start serves it, with the consumers' API among its RESOURCES.
const state = join(work, "state");
const port = await freePort();
const issuer = `http://localhost:${port}`;
start(ROOT, process.execPath, ["src/cli/start.ts", "--port", String(port), "--persist-to", state, "--var", `RESOURCES:${RESOURCE}`]);

// 3. The consumers' folders, installed while edge-token starts.
const consumers = {
  node: {
    files: {
      "node-server.ts": "test/cli/recipes/node-server.ts",
      "main.ts": "test/package/node/main.ts",
      "tsconfig.json": "test/package/node/tsconfig.json",
    },
    deps: ["typescript", "@types/node"],
  },
  hono: { files: { "hono-dpop.ts": "test/fixtures/recipes/hono-dpop.ts", "main.ts": "test/package/hono/main.ts" }, deps: ["hono"] },
  worker: {
    files: {
      "tsconfig.json": "test/package/worker/tsconfig.json",
      "wrangler.jsonc": "test/package/worker/wrangler.jsonc",
      "src/index.ts": "test/package/worker/src/index.ts",
      "src/itty.ts": "test/fixtures/recipes/itty.ts",
      "src/rpc.ts": "test/fixtures/recipes/rpc.ts",
    },
    deps: ["itty-router", "typescript", "wrangler"],
  },
};
const folders = Object.fromEntries(
  await Promise.all(
    Object.entries(consumers).map(async ([name, c]) => {
      const folder = join(work, name);
      await mkdir(join(folder, "src"), { recursive: true });
      for (const [to, from] of Object.entries(c.files)) await copyFile(join(ROOT, from), join(folder, to));
      await writeFile(join(folder, "package.json"), JSON.stringify({ name: `consumer-${name}`, private: true, type: "module" }));
      await sh(folder, "npm", [
        "install",
        "--no-audit",
        "--no-fund",
        "--save-exact",
        tarball,
        ...c.deps.map((d) => `${d}@${pinned(d)[d]}`),
      ]);
      const installed = JSON.parse(await readFile(join(folder, "node_modules/edge-token/package.json"), "utf8")) as {
        dependencies: Record<string, string>;
      };
      check(`${name}: installed from the tarball, jose its only dependency`, Object.keys(installed.dependencies).join() === "jose");
      return [name, folder] as const;
    }),
  ),
) as Record<keyof typeof consumers, string>;

// 4. The Worker type-checks with its template's tsconfig and bundles.
const worker = folders.worker;
// And the Node server's, on Node's own types alone (no DOM lib), every declaration checked.
const nodeTyped = await sh(folders.node, "node_modules/.bin/tsc", ["--noEmit"]).then(
  () => "",
  (e: { stdout: string }) => e.stdout,
);
check("node: tsc --noEmit clean (lib es2022, @types/node, nodenext, skipLibCheck false)", nodeTyped === "", nodeTyped.slice(0, 2000));

await sh(worker, "node_modules/.bin/wrangler", ["types"]);
for (const skipLibCheck of ["true", "false"]) {
  const typed = await sh(worker, "node_modules/.bin/tsc", ["--noEmit", "--skipLibCheck", skipLibCheck]).then(
    () => "",
    (e: { stdout: string }) => e.stdout,
  );
  check(`worker: tsc --noEmit clean (skipLibCheck ${skipLibCheck})`, typed === "", typed.slice(0, 2000));
}
const dry = await sh(worker, "node_modules/.bin/wrangler", ["deploy", "--dry-run", "--outdir", "out"]);
check("worker: wrangler deploy --dry-run bundles", /Total Upload/.test(dry), (/Total Upload[^\n]*/.exec(dry) ?? [dry.slice(-500)])[0]);

await waitFor(`${issuer}/.well-known/jwks.json`);
const demo = JSON.parse(await readFile(join(state, "edge-token-demo-client.json"), "utf8")) as { client_id: string; client_secret: string };

// 5. Each consumer, served, asked as a client would.
const servedAt: Record<string, string> = {};
const env = { ISSUER: issuer, RESOURCE };
for (const name of ["node", "hono"] as const) {
  const p = await freePort();
  start(folders[name], process.execPath, ["main.ts"], { ...env, PORT: String(p) });
  servedAt[name] = `http://127.0.0.1:${p}`;
}
// The same two again, told of an issuer that does not answer: a token cannot be checked.
const deadIssuer = `http://127.0.0.1:${await freePort()}`;
for (const name of ["node", "hono"] as const) {
  const p = await freePort();
  start(folders[name], process.execPath, ["main.ts"], { ISSUER: deadIssuer, RESOURCE, PORT: String(p) });
  servedAt[`${name}, its issuer down`] = `http://127.0.0.1:${p}`;
}
const workerPort = await freePort();
start(
  worker,
  "node_modules/.bin/wrangler",
  ["dev", "--port", String(workerPort), "--inspector-port", String(await freePort()), "--var", `ISSUER:${issuer}`],
  { WRANGLER_REGISTRY_PATH: join(state, "dev-registry"), CLOUDFLARE_DEV_REGISTRY_PATH: join(state, "dev-registry") },
);
servedAt.worker = `http://127.0.0.1:${workerPort}`;
servedAt["worker over RPC"] = `http://127.0.0.1:${workerPort}/rpc`;
for (const url of Object.values(servedAt)) await waitFor(url);

/** What a server answers to bytes no fetch would send. */
function rawRequest(base: string, text: string): Promise<string> {
  const { hostname, port: p } = new URL(base);
  return new Promise((done, fail) => {
    let answer = "";
    const socket = connect(Number(p), hostname, () => socket.end(text));
    socket.on("data", (d) => (answer += d));
    socket.on("end", () => done(answer));
    socket.on("error", fail);
  });
}

async function tokenFor(resource?: string): Promise<string> {
  const res = await fetch(`${issuer}/oauth/access_token`, {
    method: "POST",
    // The demo client also manages keys: API scopes by name, for an API token.
    body: new URLSearchParams({ grant_type: "client_credentials", ...demo, scope: "read write", ...(resource ? { resource } : {}) }),
  });
  if (res.status !== 200) throw new Error(`token: ${res.status} ${await res.text()}`);
  return ((await res.json()) as { access_token: string }).access_token;
}

const live = await tokenFor(RESOURCE);
const revoked = await tokenFor(RESOURCE);
const forIssuer = await tokenFor();
const revocation = await fetch(`${issuer}/oauth/revoke`, { method: "POST", body: new URLSearchParams({ token: revoked, ...demo }) });
check("edge-token: the second token revoked", revocation.status === 200, String(revocation.status));

const paths = { node: "/orders", hono: "/api/products", worker: "/products", "worker over RPC": "/orders" };
const forged = "eyJhbGciOiJFZERTQSIsImtpZCI6IngiLCJ0eXAiOiJhdCtqd3QifQ.eyJhIjoxfQ.AAAA";
for (const name of ["node", "hono"] as const) {
  const base = servedAt[`${name}, its issuer down`]!;
  console.log(`\n${name}, its issuer down (${base}${paths[name]}):`);
  const res = await fetch(`${base}${paths[name]}`, { headers: { Authorization: `Bearer ${forged}` } });
  check(
    "a token it cannot check: 503 with Retry-After",
    res.status === 503 && res.headers.get("Retry-After") === "5",
    `${res.status} ${await res.text()}`,
  );
  const again = await fetch(`${base}/.well-known/oauth-protected-resource`);
  check("and it goes on answering", again.status === 200, String(again.status));
}
// A Host header no URL can hold: the Node recipe answers 400 and goes on serving.
const badHost = await rawRequest(servedAt.node!, "GET /orders HTTP/1.1\r\nHost: a b\r\nConnection: close\r\n\r\n");
check("node: a Host header that is no host: 400", badHost.startsWith("HTTP/1.1 400"), badHost.split("\r\n")[0]);
for (const name of Object.keys(servedAt).filter((n) => n.endsWith("issuer down"))) delete servedAt[name];

for (const [name, base] of Object.entries(servedAt)) {
  const path = paths[name as keyof typeof paths];
  console.log(`\n${name} (${base}${path}):`);
  const get = (token?: string) => fetch(`${base}${path}`, { headers: token ? { Authorization: `Bearer ${token}` } : {} });
  const document = await fetch(`${base}/.well-known/oauth-protected-resource`);
  const metadata = (await document.json().catch(() => ({}))) as { resource?: string; authorization_servers?: string[] };
  check(
    "GET /.well-known/oauth-protected-resource",
    document.status === 200 && metadata.resource === RESOURCE && metadata.authorization_servers?.[0] === issuer,
    JSON.stringify(metadata),
  );
  const none = await get();
  const challenge = none.headers.get("WWW-Authenticate") ?? "";
  check(
    "no token: 401 naming the document, with no error code (RFC 6750 §3.1)",
    none.status === 401 && challenge.includes(`resource_metadata="${METADATA_URL}"`) && !challenge.includes("error="),
    challenge,
  );
  const ok = await get(live);
  check("a live token for its API: 200", ok.status === 200, `${ok.status} ${await ok.text()}`);
  const wrong = await get(forIssuer);
  check("a token for another audience: 401", wrong.status === 401, String(wrong.status));
  // The revocation reaches a verifier with the list's next copy: within a few seconds here.
  let refused: Response | undefined;
  for (let i = 0; i < 60 && refused?.status !== 401; i++) {
    if (i > 0) await new Promise((r) => setTimeout(r, 500));
    refused = await get(revoked);
  }
  check("the revoked token: 401", refused!.status === 401, `${refused!.status} ${await refused!.text()}`);
}

await stopAll();
console.log(failed ? "\ntest:package: FAILED" : "\ntest:package: every consumer verified the live token and refused the revoked one");
process.exit(failed ? 1 : 0);
