import { type ChildProcess, execFile, spawn } from "node:child_process";
import { mkdir, mkdtemp, readFile, rm, writeFile } from "node:fs/promises";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { promisify } from "node:util";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { freePort } from "../../src/cli/ports.ts";
import { SESSION_FILE_NAME } from "../../src/cli/start-session.ts";
import { checkout, ROOT, start as startIn } from "../support/checkout.ts";

/**
 * Two checkouts of the project on one machine, as people run them (a second branch, a
 * worktree): one `npm start` in this checkout over a state of its own, a second checkout made
 * in a temporary directory with its default state. Every process shares one wrangler dev
 * registry, standing in for the per-user one (`~/.config/.wrangler/registry`) that both would
 * see on a developer's machine, so the test never touches the real one.
 */
const run = promisify(execFile);
let shared: string;
let stateA: string;
let second: string;
let portA: number;
let portB: number;
const servers: ChildProcess[] = [];
const temporary: string[] = [];
const env = () => ({ ...process.env, WRANGLER_REGISTRY_PATH: shared, CLOUDFLARE_DEV_REGISTRY_PATH: shared, WRANGLER_LOG: "error" });
const stateB = () => join(second, ".wrangler/state");

const start = (root: string, args: string[]) => startIn(root, args, env(), servers);

/** `npm run keys -- …` in a checkout, as its own process (so its root is that checkout). */
async function keys(root: string, ...args: string[]): Promise<{ code: number; stdout: string; stderr: string }> {
  try {
    const { stdout, stderr } = await run(process.execPath, ["src/cli/keys.ts", ...args, "--verbose"], { cwd: root, env: env() });
    return { code: 0, stdout, stderr };
  } catch (e) {
    const error = e as { code: number; stdout: string; stderr: string };
    return { code: error.code, stdout: error.stdout, stderr: error.stderr };
  }
}

const names = async (root: string, ...args: string[]) =>
  (JSON.parse((await keys(root, "list", ...args)).stdout) as { name: string }[]).map((k) => k.name).sort();

type Demo = { client_id: string; client_secret: string };
const demoOf = async (state: string) => JSON.parse(await readFile(join(state, "edge-token-demo-client.json"), "utf8")) as Demo;
const tokenStatus = async (port: number, c: Demo) =>
  (
    await fetch(`http://localhost:${port}/oauth/access_token`, {
      method: "POST",
      body: new URLSearchParams({ grant_type: "client_credentials", client_id: c.client_id, client_secret: c.client_secret }),
    })
  ).status;

beforeAll(async () => {
  shared = await mkdtemp(join(tmpdir(), "edge-token-user-registry-"));
  stateA = await mkdtemp(join(tmpdir(), "edge-token-state-a-"));
  second = await mkdtemp(join(tmpdir(), "edge-token-checkout-"));
  [portA, portB] = [await freePort(), await freePort()];
  await checkout(second);
  // and a third at the same moment: two wrangler devs starting at once must not both want the
  // debugger's default port (9229, free here unless a developer's wrangler holds it)
  const stateC = await mkdtemp(join(tmpdir(), "edge-token-state-c-"));
  temporary.push(stateC);
  const portC = await freePort();
  const [, third] = await Promise.all([
    start(ROOT, ["--port", String(portA), "--persist-to", stateA]),
    start(ROOT, ["--port", String(portC), "--persist-to", stateC]),
  ]);
  expect(await tokenStatus(portC, await demoOf(stateC))).toBe(200);
  third.server.kill("SIGINT");
}, 120_000);

afterAll(async () => {
  for (const s of servers) s.kill("SIGINT");
  await Promise.all(servers.map((s) => (s.exitCode === null ? new Promise((r) => s.once("exit", r)) : undefined)));
  for (const dir of [shared, stateA, second, ...temporary]) await rm(dir, { recursive: true, force: true });
});

describe("two checkouts on one machine", () => {
  it("keys create in a checkout nothing serves lands in its own state, not in the state npm start serves elsewhere", async () => {
    const created = await keys(second, "create", "--name", "made in the second checkout");
    expect(created.code).toBe(0);
    expect(created.stderr).toContain(`keys: in a workerd of its own, over ${stateB()}`);
    expect(await names(second)).toStrictEqual(["made in the second checkout"]);
    expect(await names(ROOT, "--persist-to", stateA)).toStrictEqual(["demo"]);
  });

  it("a session file naming a process that is gone is not trusted, even where the Worker is registered", async () => {
    const gone = spawn(process.execPath, ["-e", ""]);
    await new Promise((r) => gone.once("exit", r));
    await mkdir(stateB(), { recursive: true });
    await writeFile(join(stateB(), SESSION_FILE_NAME), JSON.stringify({ pid: gone.pid, port: portA, registry: shared }));
    const listed = await keys(second, "list");
    expect(listed.stderr).toContain(`keys: in a workerd of its own, over ${stateB()}`);
    expect((JSON.parse(listed.stdout) as { name: string }[]).map((k) => k.name)).toStrictEqual(["made in the second checkout"]);
  });

  it("a second npm start starts beside the first, replaces the stale session file and serves its own demo client", async () => {
    const { server, stdout } = await start(second, ["--port", String(portB)]);
    const demo = await demoOf(stateB());
    expect(await tokenStatus(portB, demo)).toBe(200);
    expect(await tokenStatus(portA, demo)).toBe(401);
    expect(await tokenStatus(portA, await demoOf(stateA))).toBe(200);
    expect(await tokenStatus(portB, await demoOf(stateA))).toBe(401);
    expect(JSON.parse(await readFile(join(stateB(), SESSION_FILE_NAME), "utf8"))).toMatchObject({ pid: server.pid, port: portB });
    // the line the README's examples start from, with this demo client's values
    expect(stdout()).toContain(`export CLIENT_ID=${demo.client_id} CLIENT_SECRET=${demo.client_secret}\n`);
  });

  it("each checkout's npm run keys acts on its own running server's state only", async () => {
    const created = await keys(second, "create", "--name", "made while the second serves");
    expect(created.stderr).toContain("keys: through the registry of the running npm start");
    const key = JSON.parse(created.stdout) as Demo;
    expect(await tokenStatus(portB, key)).toBe(200);
    expect(await tokenStatus(portA, key)).toBe(401);
    expect(await names(second)).toStrictEqual(["demo", "made in the second checkout", "made while the second serves"]);
    expect(await names(ROOT, "--persist-to", stateA)).toStrictEqual(["demo"]);
  });

  it("a second npm start on a state already served is refused and leaves it alone", async () => {
    const again = spawn(process.execPath, ["src/cli/start.ts", "--port", String(await freePort()), "--persist-to", stateA], {
      cwd: ROOT,
      env: env(),
      stdio: ["ignore", "pipe", "pipe"],
    });
    servers.push(again);
    let err = "";
    again.stderr!.on("data", (d) => (err += d));
    const code = await new Promise((r) => again.once("exit", r));
    expect(code).toBe(1);
    expect(err).toContain(`edge-token: npm start already runs on ${stateA} (pid `);
    expect(await tokenStatus(portA, await demoOf(stateA))).toBe(200);
    expect(await names(ROOT, "--persist-to", stateA)).toStrictEqual(["demo"]);
  });
});
