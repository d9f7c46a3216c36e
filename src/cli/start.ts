/**
 * `npm start`: the token service on http://localhost:8787 (or `npm start -- --port N`),
 * ready to use on a fresh clone. Creates what is missing (a key-encryption key in .dev.vars,
 * the registry's first signing key and a demo client in local state), refuses to serve a state
 * whose signing keys that KEK does not open, and prints a curl line for each grant.
 */
import { spawn } from "node:child_process";
import { randomBytes } from "node:crypto";
import { existsSync } from "node:fs";
import { lstat, mkdir, readFile } from "node:fs/promises";
import { join, relative, resolve } from "node:path";
import { unstable_readConfig } from "wrangler";
import { demoClientFile } from "./demo-client.ts";
import { DEV_VARS, ensureDevVar, readDevVar, writeDevVar } from "./dev-vars.ts";
import { closeKeptKeyAdmins, keepKeyAdminsOpen } from "./key-admin.ts";
import { type CreatedApplicationKey, createApplicationKey, signingKeyState } from "./key-commands.ts";
import { freePort, portInUse } from "./ports.ts";
import { writePrivateFile } from "./private-file.ts";
import { claimSession, releaseSession, type StartSession, StateTaken } from "./start-session.ts";
import { ROOT, WRANGLER } from "./wrangler.ts";

const args = process.argv.slice(2);
// As the shell gave it: opening the registry below quiets Miniflare by setting WRANGLER_LOG in
// this process, and wrangler dev must not inherit that (it would hide the Worker's log lines).
const SHELL_WRANGLER_LOG = process.env.WRANGLER_LOG;
const port = Number(optionFrom(args, "--port") ?? 8787);
// The local state wrangler dev serves (--persist-to, as wrangler takes it); the demo client and
// the session file live in it, so wiping it wipes them together.
const persistTo = optionFrom(args, "--persist-to");
const STATE = resolve(persistTo ?? join(ROOT, ".wrangler/state"));
const DEMO_FILE = demoClientFile(persistTo);
const target = { remote: false, env: undefined, persistTo };
const WORKER_NAME = unstable_readConfig({ config: join(ROOT, "wrangler.toml") }).name!;

const session = claimState();
await assertPortFree(port);
await ensureKek();
await ensureLocalIssuer();
await keepPrivate(DEV_VARS); // it holds the KEK, whoever created it
// One workerd over the state for both: the demo client, and the signing keys checked.
keepKeyAdminsOpen();
let demo: CreatedApplicationKey & { created: boolean };
try {
  demo = await ensureDemoClient();
  await assertKeysOpen();
} finally {
  await closeKeptKeyAdmins();
}
printDemo(demo, port, session);
await startWrangler(args, session);
void warnIfDemoSecretStale(demo, port);

/** Before anything is written: a port taken by another npm start would fail only after the demo client is printed. */
async function assertPortFree(p: number): Promise<void> {
  if (!(await portInUse(p))) return;
  console.error(`edge-token: port ${p} is in use (another npm start?). Choose another: npm start -- --port N`);
  process.exit(1);
}

/** This state is served by this npm start alone, from here on: its demo client, KV and registry. */
function claimState(): StartSession {
  try {
    const claimed = claimSession(STATE, port, WORKER_NAME);
    process.on("exit", () => releaseSession(STATE));
    return claimed;
  } catch (error) {
    if (!(error instanceof StateTaken)) throw error;
    console.error(`edge-token: ${error.message}`);
    process.exit(1);
  }
}

/** A file someone else made, or loosened, or linked: written anew as a 0600 file of its own. */
async function keepPrivate(file: string): Promise<void> {
  const stats = await lstat(file);
  if (stats.isSymbolicLink() || (stats.mode & 0o077) !== 0) await writePrivateFile(file, await readFile(file, "utf8"));
}

/** The key-encryption key the local registry seals its signing keys with: 32 random bytes, never printed. */
async function ensureKek(): Promise<void> {
  const existed = existsSync(DEV_VARS);
  const { made } = await ensureDevVar("SIGNING_KEY_KEK", () => randomBytes(32).toString("base64url"));
  if (!made) return;
  const where = existed ? "wrote a new SIGNING_KEY_KEK into .dev.vars" : "created .dev.vars with a new SIGNING_KEY_KEK";
  console.log(`edge-token: ${where} (the key the registry seals its signing keys with); it is gitignored.`);
}

/**
 * The state's signing keys, made on a fresh state (or imported from an earlier version's
 * SIGNING_KEYS in .dev.vars), and opened by the KEK in .dev.vars: refused here, before anything
 * serves, when that KEK is not the one that sealed them (a .dev.vars replaced, a state copied).
 */
async function assertKeysOpen(): Promise<void> {
  const { keys, kek_matches } = await signingKeyState(target);
  if (kek_matches === false) {
    console.error(
      `edge-token: SIGNING_KEY_KEK in .dev.vars does not open the signing keys in ${relative(ROOT, STATE) || "."}: they were sealed with another KEK.\n` +
        "  Put back the .dev.vars that made this state, or start a new key set under this KEK (every token issued so far stops verifying):\n" +
        `    npm run keys -- signing rotate --now${persistTo ? ` --persist-to ${persistTo}` : ""}`,
    );
    process.exit(1);
  }
  const active = keys.find((k) => k.state === "active");
  if (active) console.log(`edge-token: signing with ${active.alg} key ${active.kid} (${active.origin}), sealed in the local registry.`);
}

/**
 * Locally the issuer is whatever origin a request came to (localhost, a LAN address, a tunnel).
 * A deployed Worker refuses that; the Worker accepts it only when told so by name.
 */
async function ensureLocalIssuer(): Promise<void> {
  if ((await readDevVar("ALLOW_REQUEST_ORIGIN_ISSUER")) === "true") return;
  await writeDevVar("ALLOW_REQUEST_ORIGIN_ISSUER", "true");
  console.log(
    "edge-token: set ALLOW_REQUEST_ORIGIN_ISSUER=true in .dev.vars (local development only: each request's origin is the issuer).",
  );
}

async function ensureDemoClient(): Promise<CreatedApplicationKey & { created: boolean }> {
  if (existsSync(DEMO_FILE)) return { ...(JSON.parse(await readFile(DEMO_FILE, "utf8")) as CreatedApplicationKey), created: false };
  console.log("edge-token: creating a demo client in local KV…");
  // It holds application_keys and signing_keys so that the README's walk-through (creating keys,
  // rotating signing keys with its token) works.
  const client = await createApplicationKey(
    { name: "demo", scope: "read write application_keys signing_keys", grant_types: ["client_credentials", "implicit"] },
    target,
  );
  await mkdir(STATE, { recursive: true });
  await writePrivateFile(DEMO_FILE, JSON.stringify(client, null, 2));
  return { ...client, created: true };
}

/**
 * The saved demo secret is the one printed above: once the server answers, it is tried. A
 * secret rotated in the console or through the API (the CLI saves the new one) or a deleted
 * demo key would otherwise leave every printed line failing with no word why.
 */
async function warnIfDemoSecretStale(demo: CreatedApplicationKey, p: number): Promise<void> {
  const url = `http://localhost:${p}/oauth/access_token`;
  for (let i = 0; i < 240; i++) {
    const answer = await fetch(url, {
      method: "POST",
      body: new URLSearchParams({ grant_type: "client_credentials", client_id: demo.client_id, client_secret: demo.client_secret ?? "" }),
    }).catch(() => undefined);
    if (answer?.status === 401) {
      console.error(
        `edge-token: the demo client's saved secret no longer gets a token (rotated in the console or the API, or the key deleted). ` +
          `Give it a new one with npm run keys -- rotate-secret ${demo.id} --now (saved in ${relative(ROOT, DEMO_FILE)}), or delete that file and the state to start afresh.`,
      );
    }
    if (answer !== undefined) return;
    await new Promise((r) => setTimeout(r, 500));
  }
}

function printDemo(demo: CreatedApplicationKey & { created: boolean }, port: number, s: StartSession): void {
  const url = `http://localhost:${port}/oauth/access_token`;
  console.log(`
edge-token: ${demo.created ? "created" : "using"} the local demo client ${demo.client_id} (saved in ${relative(ROOT, DEMO_FILE)})

  for the README's examples:
    export CLIENT_ID=${demo.client_id} CLIENT_SECRET=${demo.client_secret}

  client_credentials, a token for your APIs (scope: read write):
    curl -s ${url} -d grant_type=client_credentials -d client_id=${demo.client_id} -d client_secret=${demo.client_secret} -d scope="read write"

  client_credentials, a token for the admin API alone, /v2/application-keys and /v2/signing-keys (scope: ${demo.scope}):
    curl -s ${url} -d grant_type=client_credentials -d client_id=${demo.client_id} -d client_secret=${demo.client_secret}

  implicit (scope: read):
    curl -s ${url} -d grant_type=implicit -d client_id=${demo.client_id}

  more clients: npm run keys -- create --name NAME
  another Worker binding to this one (wrangler dev's registry of this state):
    WRANGLER_REGISTRY_PATH=${s.registry} npx wrangler dev
`);
}

/**
 * wrangler dev over the claimed state, registered in that state's own dev registry: `npm run
 * keys` reaches this server's registry through it, and never another checkout's.
 */
async function startWrangler(passThrough: string[], s: StartSession): Promise<void> {
  const portArgs = optionFrom(passThrough, "--port") === undefined ? ["--port", String(port)] : [];
  // wrangler's debugger port is 9229 when free: two npm starts starting at once both find it
  // free and the second fails to bind it. A port of each one's own, unless one is asked for.
  if (optionFrom(passThrough, "--inspector-port") === undefined) portArgs.push("--inspector-port", String(await freePort()));
  const env = {
    ...process.env,
    WRANGLER_LOG: SHELL_WRANGLER_LOG,
    WRANGLER_REGISTRY_PATH: s.registry,
    CLOUDFLARE_DEV_REGISTRY_PATH: s.registry,
  };
  const child = spawn(process.execPath, [WRANGLER, "dev", ...portArgs, ...passThrough], { cwd: ROOT, stdio: "inherit", env });
  for (const sig of ["SIGINT", "SIGTERM"] as const) process.on(sig, () => child.kill(sig));
  child.on("close", (code) => process.exit(code ?? 0));
}

function optionFrom(argv: string[], name: string): string | undefined {
  for (let i = 0; i < argv.length; i++) {
    const a = argv[i]!;
    if (a === name) return argv[i + 1];
    if (a.startsWith(`${name}=`)) return a.slice(name.length + 1);
  }
  return undefined;
}
