import { type ChildProcess, execFile } from "node:child_process";
import { createHash } from "node:crypto";
import { readdirSync, readFileSync, statSync } from "node:fs";
import { cp, mkdtemp, readFile, rm, writeFile } from "node:fs/promises";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { promisify } from "node:util";
import { decodeJwt, decodeProtectedHeader } from "jose";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { freePort, portInUse } from "../../src/cli/ports.ts";
import { checkout, ROOT, start, stop } from "../support/checkout.ts";
import { rotatedSecret } from "../support/keys-cli.ts";

/**
 * The docs' shell lines, run as a newcomer runs them: in a fresh checkout of the project, after
 * `npm start` (on a free port: every `localhost:8787` becomes it, nothing else changes), every
 * command of every ```sh block of each document, in order, as written, in a bash of its own per
 * document that starts from nothing but npm start's `export CLIENT_ID=… CLIENT_SECRET=…` line
 * (which the documents print as `…`). So a variable must be defined in the document that uses
 * it, before it is used (`set -u`), a failing command stops the walk (`set -e`, `pipefail`), and
 * each command's output is held to what the document says it prints. A command that cannot run
 * here is excluded by name, with the reason, and still counted.
 *
 * The bash has job control on (`set -m`), as a terminal's shell has: a command a document runs in
 * the background (`… &`) is a process group of its own, which the document's `kill %1` stops
 * whole (without it, kill reaches npx alone, and the wrangler and workerd under it live on). A
 * document stops what it starts: the walk holds it to that, and ends any job left over.
 *
 * docs/verifying-tokens.md starts the fixture consumer (test/fixtures/consumer/, copied into the
 * checkout as a clone has it) beside npm start: its `localhost:8788` and `--port 8788` become a
 * second free port (with an inspector port of its own: wrangler's default, 9229, is one that
 * wranglers starting at once on this machine race for), and its wrangler.toml's ISSUER, like
 * every `localhost:8787`, npm start's port.
 */
const DOCS = [
  "README.md",
  "docs/api.md",
  "docs/cli.md",
  "docs/rotation.md",
  "docs/permissions.md",
  "docs/verifying-tokens.md",
  "docs/settings.md",
  "docs/benchmark.md",
] as const;
/**
 * A document's walk spawns up to 25 `npm run keys` (each a Node and a workerd): docs/cli.md takes
 * about 50 s on an idle two-core machine. Ten times that, for a machine busy with other suites.
 */
const WALK_TIMEOUT_MS = 600_000;
type Doc = (typeof DOCS)[number];

let root: string;
let port: number;
/** The fixture consumer's port (docs/verifying-tokens.md: 8788), and its wrangler's inspector port. */
let consumerPort: number;
let inspectorPort: number;
let exportLine: string;
const servers: ChildProcess[] = [];
/** Where the walk writes the process group of each job a document starts in the background (`… &`). */
const jobsFile = () => join(root, ".walk-jobs");

beforeAll(async () => {
  root = await mkdtemp(join(tmpdir(), "edge-token-docs-"));
  await checkout(root);
  const consumer = join(root, "test/fixtures/consumer");
  await cp(join(ROOT, "test/fixtures/consumer"), consumer, { recursive: true });
  const config = join(consumer, "wrangler.toml");
  port = await freePort();
  await writeFile(config, (await readFile(config, "utf8")).replaceAll("localhost:8787", `localhost:${port}`));
  do [consumerPort, inspectorPort] = [await freePort(), await freePort()];
  while (new Set([port, consumerPort, inspectorPort]).size < 3);
  const { stdout } = await start(root, ["--port", String(port)], process.env, servers);
  exportLine = stdout()
    .split("\n")
    .find((l) => l.trim().startsWith("export CLIENT_ID="))!
    .trim();
}, 180_000);

afterAll(async () => {
  await endJobs();
  await Promise.all(servers.map(stop));
  await rm(root, { recursive: true, force: true });
});

/** A document's commands: each ```sh block's lines, continuations joined, whole-line comments and blank lines left out. */
function commandsOf(markdown: string): string[] {
  const blocks = [...markdown.matchAll(/^```sh\n([\s\S]*?)^```$/gm)].map((m) => m[1]!);
  return blocks.flatMap((block) => {
    const commands: string[] = [];
    let pending: string | undefined;
    for (const line of block.split("\n")) {
      if (pending === undefined && (line.trim() === "" || line.trim().startsWith("#"))) continue;
      pending = pending === undefined ? line : `${pending}\n${line}`;
      if (!line.endsWith("\\")) {
        commands.push(pending);
        pending = undefined;
      }
    }
    return commands;
  });
}

/** What a command printed (npm's own header lines left out of stdout), and the variable it set. */
interface Printed {
  out: string;
  err: string;
  /** The value of the variable the step names in `sets`, read right after the command. */
  value: string;
}

/** One command of a document: what it must contain, and what it must print; or why it is not run here. */
type Step = { runs: string; sets?: string; prints: (p: Printed) => void } | { runs: string; excluded: string };

/** What `npm run keys -- …` prints on stdout before the command's own output (`npm run -s` leaves it out). */
const NPM_HEADER = /^> (?:edge-token@\S+ keys|node src\/cli\/keys\.ts .*)\n/gm;

/** A command as the walk runs it: npm start's and the consumer's ports for the documents' own. */
function mapped(command: string): string {
  return command
    .replaceAll("localhost:8787", `localhost:${port}`)
    .replaceAll("localhost:8788", `localhost:${consumerPort}`)
    .replaceAll("--port 8788", `--port ${consumerPort} --inspector-port ${inspectorPort}`);
}

/** Whether a process group has a member left. */
function alive(group: number): boolean {
  try {
    process.kill(-group, 0);
    return true;
  } catch {
    return false;
  }
}

/**
 * Waits up to 30 s for the documents' background jobs to be gone (a document that started one
 * stopped it: its members may take a moment to exit), then ends each one still there.
 * Returns the process groups that had to be ended.
 */
async function endJobs(): Promise<number[]> {
  const jobs = (await readFile(jobsFile(), "utf8").catch(() => "")).split("\n").filter(Boolean).map(Number);
  for (let i = 0; i < 60 && jobs.some(alive); i++) await new Promise((r) => setTimeout(r, 500));
  const left = jobs.filter(alive);
  for (const group of left) process.kill(-group, "SIGKILL");
  await rm(jobsFile(), { force: true });
  return left;
}

/** Runs a document's commands in one bash, in order, and returns what each printed. */
async function walk(doc: Doc, steps: Step[]): Promise<Printed[]> {
  const commands = commandsOf(await readFile(join(root, doc), "utf8"));
  expect(commands.map((c, i) => (c.includes(steps[i]?.runs ?? "\u0000") ? i : `${i}: ${c}`))).toStrictEqual(commands.map((_, i) => i));
  expect(commands).toHaveLength(steps.length);
  const script = [
    "set -euo pipefail",
    "set -m",
    ...commands.flatMap((command, i) => {
      const step = steps[i]!;
      const mark = `printf '\\n@@${i}\\n'; printf '\\n@@${i}\\n' >&2`;
      if ("excluded" in step) return [mark];
      const line = command.startsWith("export CLIENT_ID=… CLIENT_SECRET=…") ? exportLine : command;
      const value = step.sets === undefined ? [] : [`printf '\\n@@value\\n%s' "$${step.sets}"`];
      // a background job's process group (its leader's pid, under set -m), for the walk to see it gone
      const job = /[^&]&$/.test(line.trimEnd()) ? [`echo $! >> '${jobsFile()}'`] : [];
      return [mark, mapped(line), ...job, ...value];
    }),
    "printf '\\n@@end\\n'",
  ].join("\n");
  let stdout: string;
  let stderr: string;
  try {
    ({ stdout, stderr } = await promisify(execFile)("bash", ["-c", script], { cwd: root, maxBuffer: 64 * 1024 * 1024 }));
  } catch (e) {
    const error = e as { stdout: string; stderr: string };
    await endJobs();
    throw new Error(`${doc} stopped:\n${error.stdout.slice(-3000)}\n--- stderr ---\n${error.stderr.slice(-3000)}`);
  }
  const left = await endJobs();
  expect(left, `${doc} left a background job running`).toStrictEqual([]);
  expect(stdout.endsWith("\n@@end\n")).toBe(true);
  const parts = (text: string) => text.split(/\n@@(?:\d+|end)\n/).slice(1);
  const [outs, errs] = [parts(stdout), parts(stderr)];
  return steps.map((_, i) => {
    const [out, value = ""] = outs[i]!.split("\n@@value\n");
    return { out: out!.replace(NPM_HEADER, "").trim(), err: errs[i]?.trim() ?? "", value };
  });
}

/** Runs a document and holds each command's output to its step, in order. */
async function holds(doc: Doc, steps: Step[]): Promise<void> {
  const printed = await walk(doc, steps);
  for (const [i, step] of steps.entries()) {
    if ("excluded" in step) continue;
    const p = printed[i]!;
    try {
      step.prints(p);
    } catch (error) {
      const shown = `printed: ${p.out.slice(0, 1500)}\nstderr: ${p.err.slice(0, 1500)}${step.sets ? `\n${step.sets}: ${p.value.slice(0, 500)}` : ""}`;
      throw new Error(`${doc}, command ${i} (${step.runs}): ${(error as Error).message}\n${shown}`);
    }
  }
}

type Json = any;
const json = (p: Printed | string): Json => JSON.parse(typeof p === "string" ? p : p.out);
const silent = (p: Printed) => expect(p.out).toBe("");
/** A token response's `data`, which the top level repeats. */
const issued = (p: Printed) => {
  const body = json(p);
  expect(body.access_token).toBe(body.data.access_token);
  return { ...body.data, claims: decodeJwt(body.data.access_token) };
};
/** An HTTP response printed by `curl -si`: its status line and its body. */
const http = (p: Printed) => ({ status: p.out.split("\r\n")[0], body: p.out.split("\r\n\r\n").slice(1).join("\r\n\r\n") });
const issuer = () => `http://localhost:${port}`;
/** The key set `keys -- client-key NAME` printed: one Ed25519 public key, whose kid it answers. */
const clientKeyOf = (p: Printed): string => {
  const [k] = json(p).keys;
  expect(k).toStrictEqual({ kty: "OKP", crv: "Ed25519", x: expect.any(String), kid: expect.any(String), alg: "EdDSA", use: "sig" });
  return k.kid;
};
/** A proof `keys -- dpop-proof` made with an Ed25519 client key, for `claims`: its key in the header, a fresh jti and iat. */
const isDpopProof = (proof: string, claims: { htm: string; htu: string; ath?: string }) => {
  expect(decodeProtectedHeader(proof)).toStrictEqual({
    typ: "dpop+jwt",
    alg: "EdDSA",
    jwk: { kty: "OKP", crv: "Ed25519", x: expect.any(String) },
  });
  expect(decodeJwt(proof)).toStrictEqual({ ...claims, jti: expect.any(String), iat: expect.any(Number) });
};

describe("every shell line of the README and docs/ runs as written against npm start", () => {
  it("names every document with shell lines", () => {
    const documents = ["README.md", ...readdirSync(join(root, "docs")).map((f) => `docs/${f}`)];
    const withShell = documents.filter((f) => f.endsWith(".md") && /^```sh$/m.test(readFileSync(join(root, f), "utf8")));
    expect(withShell.sort()).toStrictEqual([...DOCS].sort());
  });

  it(
    "README.md: its token block and its rotation block (the endpoint table: keys-while-serving.test.ts)",
    async () => {
      await holds("README.md", [
        { runs: "npm install && npm start", excluded: "this walk's own npm start (npm start -- --port N) serves the checkout" },
        { runs: "npm test", excluded: "the whole suite, this test among it" },
        { runs: "export CLIENT_ID=… CLIENT_SECRET=…", prints: silent },
        { runs: "TOKEN=$(curl", sets: "TOKEN", prints: (p) => expect(decodeJwt(p.value)).toMatchObject({ scope: "read write" }) },
        {
          runs: "ADMIN_TOKEN=$(curl",
          sets: "ADMIN_TOKEN",
          prints: (p) => expect(decodeJwt(p.value)).toMatchObject({ scope: "read write application_keys signing_keys" }),
        },
        { runs: 'curl "localhost:8787/cdn-cgi/handler/scheduled?cron=rotate"', prints: (p) => expect(p.out).toBe("ok") },
        {
          runs: "npm run keys -- signing list",
          prints: (p) => expect(json(p).map((k: { state: string }) => k.state)).toStrictEqual(["next", "active"]),
        },
        {
          runs: "npm run keys -- signing rotate --now",
          prints: (p) => {
            expect(json(p).changes.map((c: { action: string }) => c.action)).toStrictEqual(["revoke", "revoke", "create"]);
            expect(p.err).toContain("left the JWKS and every token they signed is revoked");
          },
        },
        { runs: "npx wrangler login", excluded: "needs a Cloudflare account" },
        { runs: "npm run deploy", excluded: "needs a Cloudflare account" },
      ]);
    },
    WALK_TIMEOUT_MS,
  );

  it(
    "docs/api.md",
    async () => {
      let nightly = { client_id: "", kid: "" };
      let key = { id: "" };
      let backend = { client_id: "", old: "" };
      const adminList = (p: Printed) => expect(json(p).data).toBeInstanceOf(Array);
      await holds("docs/api.md", [
        { runs: "export CLIENT_ID=… CLIENT_SECRET=…", prints: silent },
        {
          runs: "-d grant_type=client_credentials -d client_id=$CLIENT_ID -d client_secret=$CLIENT_SECRET",
          prints: (p) =>
            expect(issued(p)).toMatchObject({
              token_type: "Bearer",
              identifier: "client_credentials",
              claims: { scope: "read write application_keys signing_keys", aud: `${issuer()}/v2/application-keys` },
            }),
        },
        {
          runs: 'curl -s -u "$CLIENT_ID:$CLIENT_SECRET" http://localhost:8787/oauth/access_token -d grant_type=client_credentials',
          prints: (p) => expect(issued(p)).toMatchObject({ token_type: "Bearer", identifier: "client_credentials" }),
        },
        {
          runs: "-d grant_type=implicit -d client_id=$CLIENT_ID",
          prints: (p) => expect(issued(p)).toMatchObject({ identifier: "implicit", scope: "read", claims: { grant_type: "implicit" } }),
        },
        {
          runs: "npm run keys -- client-key nightly",
          prints: (p) => {
            nightly = { ...nightly, kid: clientKeyOf(p) };
            expect(p.err).toContain(
              "keys: made the client key nightly: its private half in .wrangler/client-keys/nightly.private.jwk.json",
            );
            expect(statSync(join(root, ".wrangler/client-keys/nightly.private.jwk.json")).mode & 0o777).toBe(0o600);
            expect(json(readFileSync(join(root, "nightly.jwks.json"), "utf8"))).toStrictEqual(json(p));
          },
        },
        {
          runs: 'NIGHTLY_ID=$(npm run -s keys -- create --name "Nightly export" --auth-method private_key_jwt --jwks nightly.jwks.json',
          sets: "NIGHTLY_ID",
          prints: (p) => {
            silent(p);
            expect(p.value).toMatch(/^[0-9a-f]{40}$/);
            expect(p.err).not.toContain("shown once"); // it has no secret
            nightly = { ...nightly, client_id: p.value };
          },
        },
        {
          runs: "ASSERTION=$(npm run -s keys -- client-assertion nightly --client-id $NIGHTLY_ID",
          sets: "ASSERTION",
          prints: (p) => {
            silent(p);
            expect(decodeProtectedHeader(p.value)).toStrictEqual({ alg: "EdDSA", kid: nightly.kid });
            const claims = decodeJwt(p.value);
            expect(claims).toStrictEqual({
              iss: nightly.client_id,
              sub: nightly.client_id,
              aud: `${issuer()}/oauth/access_token`,
              jti: expect.stringMatching(/^[\w-]{22}$/),
              iat: expect.any(Number),
              exp: claims.iat! + 120,
            });
          },
        },
        {
          runs: "-d client_assertion=$ASSERTION",
          prints: (p) =>
            expect(issued(p)).toMatchObject({ token_type: "Bearer", claims: { client_id: nightly.client_id, scope: "read write" } }),
        },
        {
          runs: "PROOF=$(npm run -s keys -- dpop-proof nightly --url http://localhost:8787/oauth/access_token)",
          sets: "PROOF",
          prints: (p) => {
            silent(p);
            isDpopProof(p.value, { htm: "POST", htu: `${issuer()}/oauth/access_token` });
          },
        },
        {
          runs: '-H "DPoP: $PROOF"',
          // bound to the client key: its kid is the key's RFC 7638 thumbprint, as cnf.jkt is
          prints: (p) => expect(issued(p)).toMatchObject({ token_type: "DPoP", claims: { cnf: { jkt: nightly.kid } } }),
        },
        {
          runs: "-d client_id=$CLIENT_ID -d client_secret=$CLIENT_SECRET -d scope=read",
          prints: (p) => expect(issued(p)).toMatchObject({ token_type: "Bearer", scope: "read", claims: { scope: "read", aud: issuer() } }),
        },
        {
          runs: "-d scope=read -d resource=https://orders.example",
          prints: (p) => expect(json(p).errors[0]).toMatchObject({ status: "400", code: "invalid_target" }),
        },
        {
          runs: "curl -s http://localhost:8787/.well-known/jwks.json",
          prints: (p) => expect(json(p).keys.map((k: { alg: string; d?: string }) => [k.alg, k.d])).toContainEqual(["EdDSA", undefined]),
        },
        { runs: "/.well-known/oauth-authorization-server", prints: (p) => expect(json(p).issuer).toBe(issuer()) },
        {
          runs: "curl -s http://localhost:8787/oauth/status-lists ",
          prints: (p) => expect(json(p).status_lists).toContain(`${issuer()}/oauth/status-lists/400000001`),
        },
        {
          runs: "curl -s http://localhost:8787/oauth/status-lists/400000001",
          prints: (p) =>
            expect(decodeJwt(p.out)).toMatchObject({ sub: `${issuer()}/oauth/status-lists/400000001`, status_list: { bits: 1 } }),
        },
        {
          runs: "curl -s http://localhost:8787/oauth/cutoffs",
          prints: (p) => expect(decodeProtectedHeader(p.out).typ).toBe("cutoffs+jwt"),
        },
        {
          runs: "curl -s http://localhost:8787/ -H 'Accept: application/json'",
          prints: (p) => expect(json(p).links.token_endpoint).toBe(`${issuer()}/oauth/access_token`),
        },
        { runs: "open http://localhost:8787/", excluded: "opens a browser (macOS `open`); the page itself: test/api/root.test.ts" },
        { runs: "curl -s http://localhost:8787/openapi.json", prints: (p) => expect(json(p).openapi).toMatch(/^3\.1\./) },
        { runs: "TOKEN=$(curl", sets: "TOKEN", prints: (p) => expect(decodeJwt(p.value)).toMatchObject({ scope: "read write" }) },
        {
          runs: "IMPLICIT_TOKEN=$(curl",
          sets: "IMPLICIT_TOKEN",
          prints: (p) => expect(decodeJwt(p.value)).toMatchObject({ grant_type: "implicit" }),
        },
        {
          runs: 'curl -si -u "$CLIENT_ID:$CLIENT_SECRET" http://localhost:8787/oauth/revoke -d token=$TOKEN',
          prints: (p) => expect(http(p)).toStrictEqual({ status: "HTTP/1.1 200 OK", body: "" }),
        },
        {
          runs: "curl -si http://localhost:8787/oauth/revoke -d client_id=$CLIENT_ID -d token=$IMPLICIT_TOKEN",
          prints: (p) => expect(http(p)).toStrictEqual({ status: "HTTP/1.1 200 OK", body: "" }),
        },
        { runs: '-H "Authorization: Bearer $TOKEN" -d "token=$TOKEN"', prints: silent },
        { runs: "TOKEN=$(curl", sets: "TOKEN", prints: silent },
        {
          runs: "/oauth/introspect -d token=$TOKEN",
          prints: (p) => expect(json(p)).toMatchObject({ active: true, scope: "read write", token_type: "Bearer" }),
        },
        {
          runs: "ADMIN_TOKEN=$(curl",
          sets: "ADMIN_TOKEN",
          prints: (p) => expect(decodeJwt(p.value)).toMatchObject({ scope: "read write application_keys signing_keys" }),
        },
        {
          runs: 'KEY=$(curl -s http://localhost:8787/v2/application-keys -H "Authorization: Bearer $ADMIN_TOKEN"',
          prints: (p) => {
            expect(json(p).data).toMatchObject({
              name: "Storefront",
              scope: "read",
              grant_types: ["implicit"],
              client_secret: expect.any(String),
            });
            key = json(p).data;
          },
        },
        { runs: "ID=$(node -pe", sets: "ID", prints: (p) => expect(p.value).toBe(key.id) },
        {
          runs: '"http://localhost:8787/v2/application-keys?page[limit]=10&page[offset]=0"',
          prints: (p) => {
            adminList(p);
            expect(json(p).meta.page).toMatchObject({ limit: 10, offset: 0 });
            expect(p.out).not.toContain('"client_secret"');
          },
        },
        { runs: "curl -s http://localhost:8787/v2/application-keys/$ID ", prints: (p) => expect(json(p).data.id).toBe(key.id) },
        { runs: '"token_quota":{"per_hour":1000}', prints: (p) => expect(json(p).data.token_quota).toStrictEqual({ per_hour: 1000 }) },
        { runs: '"name":"Renamed"', prints: (p) => expect(json(p).data.name).toBe("Renamed") },
        { runs: '"scope":"read"}}', prints: (p) => expect(json(p).data.scope).toBe("read") },
        { runs: "curl -si -X DELETE", prints: (p) => expect(http(p)).toStrictEqual({ status: "HTTP/1.1 204 No Content", body: "" }) },
        {
          runs: '"http://localhost:8787/v2/application-keys/audit?filter[key_id]=$ID"',
          prints: (p) =>
            expect(json(p).data.map((e: { action: string }) => e.action)).toStrictEqual(["create", "update", "rename", "update", "delete"]),
        },
        { runs: '"name":"Partner","token_quota"', sets: "ID", prints: (p) => expect(p.value).toMatch(/^[0-9a-f-]{36}$/) },
        {
          runs: "/v2/application-keys/$ID/usage",
          prints: (p) =>
            expect(json(p).data).toMatchObject({
              type: "token_usage",
              token_quota: { per_hour: 1000, per_day: 20000 },
              hour: { used: 0, limit: 1000 },
              day: { used: 0, limit: 20000 },
            }),
        },
        { runs: '"name":"Backend","grant_types":["client_credentials"]', prints: silent },
        { runs: "ID=$(node -pe", sets: "ID", prints: (p) => expect(p.value).toMatch(/^[0-9a-f-]{36}$/) },
        {
          runs: "BACKEND_ID=$(node -pe",
          sets: "BACKEND_ID",
          prints: (p) => {
            expect(p.value).toMatch(/^[0-9a-f]{40}$/);
            backend = { ...backend, client_id: p.value };
          },
        },
        { runs: "OLD_SECRET=$(node -pe", sets: "OLD_SECRET", prints: (p) => (backend = { ...backend, old: p.value }) },
        {
          runs: "ROTATED=$(curl -s -X POST http://localhost:8787/v2/application-keys/$ID/secret",
          prints: (p) => {
            const { data } = json(p);
            expect(data).toMatchObject({ type: "application_key", name: "Backend", client_id: backend.client_id });
            expect(data.client_secret).toMatch(/^[\w-]{43}$/);
            expect(data.client_secret).not.toBe(backend.old);
            const left = Date.parse(data.previous_secret_expires_at) - Date.now();
            expect(left > 3_500_000 && left <= 3_600_000).toBe(true);
            expect(p.out).not.toMatch(/hash/);
          },
        },
        { runs: "NEW_SECRET=$(node -pe", sets: "NEW_SECRET", prints: (p) => expect(p.value).toMatch(/^[\w-]{43}$/) },
        {
          runs: '-u "$BACKEND_ID:$OLD_SECRET"',
          prints: (p) => expect(issued(p)).toMatchObject({ token_type: "Bearer", claims: { client_id: backend.client_id } }),
        },
        {
          runs: '-u "$BACKEND_ID:$NEW_SECRET"',
          prints: (p) => expect(issued(p)).toMatchObject({ token_type: "Bearer", claims: { client_id: backend.client_id } }),
        },
        {
          runs: "LEAKED=$(curl -s -X POST http://localhost:8787/v2/application-keys/$ID/secret",
          prints: (p) => {
            expect(json(p).data).toMatchObject({ name: "Backend", client_secret: expect.stringMatching(/^[\w-]{43}$/) });
            expect(json(p).data.previous_secret_expires_at).toBeUndefined();
          },
        },
        {
          runs: '-u "$BACKEND_ID:$NEW_SECRET"',
          prints: (p) => expect(json(p).errors[0]).toMatchObject({ status: "401", code: "invalid_client" }),
        },
        {
          runs: "curl -s http://localhost:8787/v2/signing-keys -H",
          prints: (p) => expect(json(p).meta.rotation).toStrictEqual({ period_days: 30, next_key_lead_seconds: 3600, kek_matches: true }),
        },
        {
          runs: '"emergency":false',
          prints: (p) => expect(json(p).data).toMatchObject({ emergency: false, changes: [{ action: "publish" }] }),
        },
        {
          runs: "curl -s http://localhost:8787/v2/signing-keys/audit",
          prints: (p) => expect(json(p).data[0]).toMatchObject({ type: "signing_key_event", actor: "first use", action: "create" }),
        },
      ]);
    },
    WALK_TIMEOUT_MS,
  );

  it(
    "docs/cli.md",
    async () => {
      let billing = { kid: "", client_id: "", token: "" };
      let deleted = "";
      let shop = "";
      const created = (p: Printed, expected: Record<string, unknown>) => {
        expect(json(p)).toStrictEqual({
          id: expect.any(String),
          client_id: expect.any(String),
          client_secret: expect.any(String),
          ...expected,
        });
        expect(p.err).toContain("keys: the client_secret above is shown once");
      };
      const both = ["client_credentials", "implicit"];
      const states = (p: Printed) => json(p).map((k: { state: string }) => k.state);
      await holds("docs/cli.md", [
        {
          runs: 'create --name "Shop backend"',
          prints: (p) => created(p, { name: "Shop backend", scope: "read write", grant_types: both }),
        },
        {
          runs: "create --name Storefront --scope read --grant-types implicit",
          prints: (p) => created(p, { name: "Storefront", scope: "read", grant_types: ["implicit"] }),
        },
        {
          runs: 'create --name Admin --scope "read write application_keys"',
          prints: (p) => created(p, { name: "Admin", scope: "read write application_keys", grant_types: both }),
        },
        {
          runs: "create --name Partner --quota-per-hour 1000 --quota-per-day 20000",
          prints: (p) =>
            created(p, { name: "Partner", scope: "read write", grant_types: both, token_quota: { per_hour: 1000, per_day: 20000 } }),
        },
        {
          runs: "create --name Storefront --scope read --implicit-quota-per-hour 5000",
          prints: (p) => created(p, { name: "Storefront", scope: "read", grant_types: both, implicit_quota: { per_hour: 5000 } }),
        },
        {
          runs: "npm run keys -- client-key billing",
          prints: (p) => {
            billing = { ...billing, kid: clientKeyOf(p) };
            expect(p.err).toContain("keys: made the client key billing");
            expect(statSync(join(root, ".wrangler/client-keys/billing.private.jwk.json")).mode & 0o777).toBe(0o600);
          },
        },
        {
          runs: 'create --name "Billing job" --auth-method private_key_jwt --jwks billing.jwks.json --dpop-bound',
          prints: (p) => {
            expect(json(p)).toStrictEqual({
              id: expect.any(String),
              client_id: expect.any(String),
              name: "Billing job",
              scope: "read write",
              grant_types: both,
              token_endpoint_auth_method: "private_key_jwt",
              dpop_bound_access_tokens: true,
            });
            billing = { ...billing, client_id: json(p).client_id };
          },
        },
        {
          runs: "npm run keys -- list ",
          prints: (p) => {
            expect(json(p).map((k: { name: string }) => k.name)).toEqual(
              expect.arrayContaining(["demo", "Shop backend", "Storefront", "Admin", "Partner", "Billing job"]),
            );
            expect(p.out).not.toContain('"client_secret"');
          },
        },
        { runs: "ID=$(npm run -s keys -- list | node -pe", sets: "ID", prints: (p) => (deleted = p.value) },
        { runs: "npm run keys -- delete $ID", prints: (p) => expect(json(p)).toStrictEqual({ deleted }) },
        {
          runs: "npm run keys -- audit ",
          prints: (p) =>
            expect(p.out.split("\n").at(-1)).toMatch(new RegExp(`^\\S+ \\S+ UTC · “Partner” \\(${deleted}\\) deleted by command line · `)),
        },
        {
          runs: "npm run keys -- audit --key $ID",
          // created by whoever made the first Partner (the API document's, by the demo key), deleted here
          prints: (p) =>
            expect(p.out.split("\n").map((l) => l.split(" · ")[1])).toStrictEqual([
              expect.stringMatching(new RegExp(`^“Partner” \\(${deleted}\\) created by `)),
              `“Partner” (${deleted}) deleted by command line`,
            ]),
        },
        {
          runs: "npm run keys -- audit --action delete --json",
          prints: (p) => expect(json(p).at(-1)).toMatchObject({ actor: "cli", action: "delete", key_id: deleted }),
        },
        {
          runs: "SHOP_ID=$(npm run -s keys -- list",
          sets: "SHOP_ID",
          prints: (p) => {
            expect(p.value).toMatch(/^[0-9a-f-]{36}$/);
            shop = p.value;
          },
        },
        {
          runs: "npm run keys -- rotate-secret $SHOP_ID --keep-old 1h",
          prints: (p) => {
            expect(json(p)).toStrictEqual(rotatedSecret({ id: shop, name: "Shop backend" }, true));
            const left = Date.parse(json(p).previous_secret_expires_at) - Date.now();
            expect(left > 3_500_000 && left <= 3_600_000).toBe(true);
            expect(p.err).toContain("keys: the client_secret above is shown once");
          },
        },
        {
          runs: "npm run keys -- rotate-secret $SHOP_ID --now",
          prints: (p) => {
            expect(json(p)).toStrictEqual(rotatedSecret({ id: shop, name: "Shop backend" }, false));
            expect(p.err).toContain("The old secret stopped working at once, and every token the key held is revoked.");
          },
        },
        {
          runs: "npm run keys -- client-key billing ",
          prints: (p) => {
            expect(json(p).keys[0].kid).toBe(billing.kid);
            expect(p.err).toContain("keys: kept the client key billing");
          },
        },
        {
          runs: "npm run keys -- client-key reports --alg ES256",
          prints: (p) => expect(json(p).keys[0]).toMatchObject({ kty: "EC", crv: "P-256", alg: "ES256", use: "sig" }),
        },
        { runs: "BILLING_ID=$(npm run -s keys -- list", sets: "BILLING_ID", prints: (p) => expect(p.value).toBe(billing.client_id) },
        {
          runs: "ASSERTION=$(npm run -s keys -- client-assertion billing --client-id $BILLING_ID",
          sets: "ASSERTION",
          prints: (p) => expect(decodeJwt(p.value)).toMatchObject({ iss: billing.client_id, sub: billing.client_id }),
        },
        {
          runs: "PROOF=$(npm run -s keys -- dpop-proof billing",
          sets: "PROOF",
          prints: (p) => expect(decodeProtectedHeader(p.value)).toMatchObject({ typ: "dpop+jwt", alg: "EdDSA" }),
        },
        {
          runs: 'TOKEN=$(curl -s http://localhost:8787/oauth/access_token -H "DPoP: $PROOF"',
          sets: "TOKEN",
          prints: (p) => {
            expect(decodeJwt(p.value)).toMatchObject({ client_id: billing.client_id, cnf: { jkt: billing.kid } });
            billing = { ...billing, token: p.value };
          },
        },
        {
          runs: "npm run -s keys -- dpop-proof billing --method GET --url https://orders.example/orders --access-token $TOKEN",
          prints: (p) =>
            isDpopProof(p.out, {
              htm: "GET",
              htu: "https://orders.example/orders",
              ath: createHash("sha256").update(billing.token).digest("base64url"),
            }),
        },
        { runs: "npm run keys -- signing list", prints: (p) => expect(states(p).slice(0, 2)).toStrictEqual(["next", "active"]) },
        {
          runs: "npm run keys -- signing rotate ",
          prints: (p) => {
            expect(json(p).changes).toStrictEqual([]); // docs/api.md published a next key already
            expect(p.err).toContain("is already published as next");
          },
        },
        {
          runs: "npm run keys -- signing rotate --alg ES256",
          prints: (p) => {
            expect(json(p).changes.map((c: { action: string }) => c.action)).toStrictEqual(["remove", "publish"]);
            expect(json(p).keys[0]).toMatchObject({ alg: "ES256", state: "next" });
          },
        },
        {
          runs: "npm run keys -- signing rotate --now",
          prints: (p) => {
            expect(json(p).changes.at(-1).action).toBe("create");
            expect(states({ ...p, out: JSON.stringify(json(p).keys) })[0]).toBe("active");
          },
        },
        {
          runs: "npm run keys -- signing audit",
          prints: (p) => expect(p.out.split("\n").at(-1)).toMatch(/ · signing key \S+ made by command line · state: new → active$/),
        },
        {
          runs: "npm run keys -- rotate --now",
          prints: (p) => expect(json(p).changes.map((c: { action: string }) => c.action)).toStrictEqual(["revoke", "create"]),
        },
      ]);
    },
    WALK_TIMEOUT_MS,
  );

  it(
    "docs/rotation.md",
    async () => {
      const demo = exportLine.match(/CLIENT_ID=(\w+)/)![1]!;
      const ok = (p: Printed) => expect(p.out).toBe("ok");
      const admin = (p: Printed) => expect(decodeJwt(p.value).scope).toContain("signing_keys");
      await holds("docs/rotation.md", [
        { runs: '"http://localhost:8787/cdn-cgi/handler/scheduled?cron=rotate"', prints: ok },
        { runs: "curl -s localhost:8787/.well-known/jwks.json", prints: (p) => expect(json(p).keys).toHaveLength(2) },
        { runs: '"http://localhost:8787/cdn-cgi/handler/scheduled?cron=rotate"', prints: ok },
        { runs: "cron=*/15+*+*+*+*", prints: ok },
        { runs: "ISSUER=http://localhost:8787", sets: "ISSUER", prints: (p) => expect(p.value).toBe(issuer()) },
        {
          runs: "npm run keys -- signing rotate --now",
          prints: (p) => expect(json(p).changes.map((c: { action: string }) => c.action)).toStrictEqual(["revoke", "revoke", "create"]),
        },
        { runs: "export CLIENT_ID=… CLIENT_SECRET=…", prints: silent },
        { runs: "ADMIN_TOKEN=$(curl -s $ISSUER/oauth/access_token", sets: "ADMIN_TOKEN", prints: admin },
        {
          runs: "curl -s -X POST $ISSUER/v2/signing-keys/rotate",
          prints: (p) => expect(json(p).data).toMatchObject({ emergency: true, changes: [{ action: "revoke" }, { action: "create" }] }),
        },
        { runs: "npm run keys -- signing list", prints: (p) => expect(json(p)[0].state).toBe("active") },
        {
          runs: "npm run keys -- signing audit",
          prints: (p) =>
            expect(p.out.split("\n").at(-1)).toMatch(new RegExp(` · signing key \\S+ made by “demo” \\(${demo}\\) · state: new → active$`)),
        },
        { runs: "ADMIN_TOKEN=$(curl -s $ISSUER/oauth/access_token", sets: "ADMIN_TOKEN", prints: admin },
        {
          runs: "curl -s $ISSUER/v2/signing-keys -H",
          // a token asked for after the emergency rotation: the new key signed it, and it is served
          prints: (p) => expect(json(p).meta.rotation).toMatchObject({ kek_matches: true }),
        },
        {
          runs: "curl -s $ISSUER/v2/signing-keys/audit",
          prints: (p) => expect(json(p).data.at(-1)).toMatchObject({ actor: demo, action: "create" }),
        },
      ]);
    },
    WALK_TIMEOUT_MS,
  );

  it(
    "docs/permissions.md",
    async () => {
      const demo = exportLine.match(/CLIENT_ID=(\w+)/)![1]!;
      const ops = { name: "Ops", scope: "read application_keys", grant_types: ["client_credentials"] };
      await holds("docs/permissions.md", [
        { runs: "export CLIENT_ID=… CLIENT_SECRET=…", prints: silent },
        {
          runs: "curl -s localhost:8787/oauth/access_token -d grant_type=client_credentials",
          prints: (p) =>
            expect(issued(p)).toMatchObject({
              token_type: "Bearer",
              scope: "read write application_keys signing_keys",
              claims: { client_id: demo, aud: `${issuer()}/v2/application-keys` },
            }),
        },
        {
          runs: '-d client_id=$CLIENT_ID -d client_secret=$CLIENT_SECRET -d scope="read write"',
          prints: (p) =>
            expect(issued(p)).toMatchObject({ token_type: "Bearer", scope: "read write", claims: { client_id: demo, aud: issuer() } }),
        },
        {
          runs: "ADMIN_TOKEN=$(curl -s localhost:8787/oauth/access_token",
          sets: "ADMIN_TOKEN",
          prints: (p) => {
            silent(p);
            expect(decodeJwt(p.value)).toMatchObject({
              scope: "read write application_keys signing_keys",
              aud: `${issuer()}/v2/application-keys`,
            });
          },
        },
        {
          runs: 'curl -s http://localhost:8787/v2/application-keys -H "Authorization: Bearer $ADMIN_TOKEN"',
          prints: (p) => expect(json(p).data).toMatchObject({ ...ops, client_secret: expect.any(String), meta: { created_by: demo } }),
        },
        {
          runs: 'npm run keys -- create --name Ops --scope "read application_keys" --grant-types client_credentials',
          prints: (p) => {
            expect(json(p)).toStrictEqual({
              id: expect.any(String),
              client_id: expect.any(String),
              client_secret: expect.any(String),
              ...ops,
            });
            expect(p.err).toContain("keys: the client_secret above is shown once");
          },
        },
      ]);
    },
    WALK_TIMEOUT_MS,
  );

  it(
    "docs/verifying-tokens.md: the fixture consumer beside npm start (its recipes: test/verifiers/recipes.test.ts, test/cli/node-recipe.test.ts)",
    async () => {
      const demo = exportLine.match(/CLIENT_ID=(\w+)/)![1]!;
      const consumer = () => `http://localhost:${consumerPort}`;
      let caller = { kid: "", bound: "" };
      const passes = (path: string, scope: string) => (p: Printed) => expect(json(p)).toStrictEqual({ client_id: demo, scope, path });
      await holds("docs/verifying-tokens.md", [
        { runs: "npm pack", excluded: "packs the package: npm run test:package (test/package/consumers.ts, in CI) does" },
        {
          runs: "cd ../my-api && npm install ../edge-token/edge-token-",
          excluded: "installs the tarball into another project: npm run test:package does, into fresh Node, Worker and Hono projects",
        },
        {
          runs: "WRANGLER_REGISTRY_PATH=.wrangler/state/dev-registry npx wrangler dev -c test/fixtures/consumer/wrangler.toml --port 8788 > consumer.log 2>&1 &",
          prints: silent,
        },
        {
          runs: "for _ in $(seq 60); do curl -s -o /dev/null http://localhost:8788/ && break; sleep 1; done",
          prints: (p) => {
            silent(p);
            // bound, through npm start's dev registry, to the edge-token it serves
            const log = readFileSync(join(root, "consumer.log"), "utf8");
            expect(log).toMatch(/env\.AUTH \(edge-token#TokenVerifier\) +Worker +local \[connected\]/);
            expect(log).toMatch(/env\.EDGE_TOKEN \(edge-token\) +Worker +local \[connected\]/);
            expect(log).toContain(`env.ISSUER ("${issuer()}")`);
            expect(log).toContain(`Ready on http://localhost:${consumerPort}`);
          },
        },
        { runs: "export CLIENT_ID=… CLIENT_SECRET=…", prints: silent },
        {
          runs: "TOKEN=$(curl -s http://localhost:8787/oauth/access_token",
          sets: "TOKEN",
          prints: (p) => expect(decodeJwt(p.value)).toMatchObject({ client_id: demo, scope: "read write", aud: issuer(), iss: issuer() }),
        },
        { runs: "curl -s http://localhost:8788/rpc/products", prints: passes("/rpc/products", "read write") },
        { runs: "curl -s http://localhost:8788/module/products", prints: passes("/module/products", "read write") },
        {
          runs: "curl -s http://localhost:8788/rpc/keys/x",
          prints: (p) =>
            expect(json(p)).toStrictEqual({
              errors: [
                { title: "Forbidden", status: "403", detail: "This token lacks the scope this request needs.", code: "insufficient_scope" },
              ],
            }),
        },
        {
          runs: "npm run keys -- client-key caller",
          prints: (p) => {
            caller = { ...caller, kid: clientKeyOf(p) };
            expect(p.err).toContain("keys: made the client key caller");
          },
        },
        {
          runs: "BOUND=$(curl -s http://localhost:8787/oauth/access_token",
          sets: "BOUND",
          prints: (p) => {
            silent(p);
            expect(decodeJwt(p.value)).toMatchObject({ client_id: demo, scope: "read write", aud: issuer(), cnf: { jkt: caller.kid } });
            caller = { ...caller, bound: p.value };
          },
        },
        {
          runs: "PROOF=$(npm run -s keys -- dpop-proof caller --method GET --url http://localhost:8788/rpc/products --access-token $BOUND)",
          sets: "PROOF",
          prints: (p) => {
            silent(p);
            isDpopProof(p.value, {
              htm: "GET",
              htu: `${consumer()}/rpc/products`,
              ath: createHash("sha256").update(caller.bound).digest("base64url"),
            });
          },
        },
        { runs: '-H "Authorization: DPoP $BOUND" -H "DPoP: $PROOF"', prints: passes("/rpc/products", "read write") },
        {
          runs: "kill %1",
          // the walk then holds the consumer's whole process group to be gone
          prints: silent,
        },
      ]);
      expect(await portInUse(consumerPort)).toBe(false);
    },
    WALK_TIMEOUT_MS,
  );

  it("docs/settings.md: none runs here (the deploy's decisions: test/cli/deploy.test.ts, against a stand-in wrangler)", async () => {
    const account = "needs a Cloudflare account";
    const byHand = "a deployment by hand, on a Cloudflare account";
    await holds("docs/settings.md", [
      { runs: "npx wrangler login", excluded: account },
      { runs: "npm run deploy", excluded: `${account}: deploys this Worker` },
      { runs: "npx wrangler kv namespace create edge-token-CLIENTS", excluded: `${byHand}: creates a KV namespace` },
      { runs: "npx wrangler kv namespace create edge-token-REVOCATIONS", excluded: `${byHand}: creates a KV namespace` },
      { runs: "npx wrangler deploy", excluded: `${byHand}: deploys this Worker` },
      { runs: "npx wrangler secret put SIGNING_KEY_KEK", excluded: `${byHand}: uploads a secret` },
      {
        runs: "SECRET=$(openssl rand -base64 32",
        excluded: `${byHand}: the bootstrap secret, for the two lines below (run without them, it would only set a variable)`,
      },
      { runs: "npx wrangler secret put BOOTSTRAP_SECRET_HASH", excluded: `${byHand}: uploads a secret` },
      {
        runs: "curl -s https://auth.example.com/v2/application-keys",
        excluded: `${byHand}: the deployment at https://auth.example.com, an example address`,
      },
      { runs: "npx wrangler secret delete BOOTSTRAP_SECRET_HASH", excluded: `${byHand}: deletes a secret` },
    ]);
  });

  it("docs/benchmark.md: none runs here (each a load run of minutes in workerds of its own, not a walk against npm start)", async () => {
    await holds("docs/benchmark.md", [
      { runs: "npm run bench ", excluded: "about 17 minutes of load" },
      { runs: "npm run bench -- --quick", excluded: "about 3 minutes of load" },
      { runs: "npm run bench -- --out bench-results", excluded: "about 17 minutes of load" },
      { runs: "npm run bench:storm", excluded: "about 2.5 minutes of load" },
      { runs: "npm run bench:profile", excluded: "15 to 30 minutes under callgrind" },
      { runs: "npm run soak ", excluded: "about 2 minutes of load" },
      { runs: "npm run soak ", excluded: "the soak again, where the document describes it" },
    ]);
  });
});
