import { type ChildProcess, execFile, spawn } from "node:child_process";
import { mkdtemp, readFile, rm, writeFile } from "node:fs/promises";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { promisify } from "node:util";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { freePort } from "../../src/cli/ports.ts";
import { checkout, start, stop } from "../support/checkout.ts";

/**
 * npm start over local state whose signing keys were sealed with another SIGNING_KEY_KEK (a
 * .dev.vars replaced, say): refused before it serves, with what to do, rather than a Worker
 * that answers 503 to every token request. A checkout of its own in a temporary directory: it
 * rewrites that checkout's .dev.vars.
 */
const run = promisify(execFile);
let dir: string;
let registry: string;
const servers: ChildProcess[] = [];
const env = () => ({ ...process.env, WRANGLER_REGISTRY_PATH: registry, CLOUDFLARE_DEV_REGISTRY_PATH: registry, WRANGLER_LOG: "error" });
const kekIn = async () => /^SIGNING_KEY_KEK='?([A-Za-z0-9_-]*)'?$/m.exec(await readFile(join(dir, ".dev.vars"), "utf8"))![1]!;
const jwksKids = async (port: number) =>
  ((await (await fetch(`http://localhost:${port}/.well-known/jwks.json`)).json()) as { keys: { kid: string }[] }).keys.map((k) => k.kid);

beforeAll(async () => {
  dir = await mkdtemp(join(tmpdir(), "edge-token-kek-"));
  registry = await mkdtemp(join(tmpdir(), "edge-token-kek-registry-"));
  await checkout(dir);
}, 60_000);

afterAll(async () => {
  await Promise.all(servers.map(stop));
  for (const d of [dir, registry]) await rm(d, { recursive: true, force: true });
});

describe("npm start and SIGNING_KEY_KEK", () => {
  it("a KEK that does not open the local keys: refused at start-up with what to do; signing rotate --now starts a new key set", async () => {
    const port = await freePort();
    const first = await start(dir, ["--port", String(port)], env(), servers);
    const kek = await kekIn();
    expect(kek).toMatch(/^[A-Za-z0-9_-]{43}$/);
    expect(first.stdout()).not.toContain(kek); // written to .dev.vars, never printed
    const [before] = await jwksKids(port);
    await stop(first.server);

    const other = Buffer.from(crypto.getRandomValues(new Uint8Array(32))).toString("base64url");
    const vars = await readFile(join(dir, ".dev.vars"), "utf8");
    await writeFile(join(dir, ".dev.vars"), vars.replace(kek, other));
    const refused = spawn(process.execPath, ["src/cli/start.ts", "--port", String(port)], { cwd: dir, env: env(), stdio: "pipe" });
    servers.push(refused);
    let out = "";
    refused.stdout!.on("data", (d) => (out += d));
    refused.stderr!.on("data", (d) => (out += d));
    expect(await new Promise((r) => refused.once("exit", r))).toBe(1);
    expect(out).toContain(
      "edge-token: SIGNING_KEY_KEK in .dev.vars does not open the signing keys in .wrangler/state: they were sealed with another KEK.\n" +
        "  Put back the .dev.vars that made this state, or start a new key set under this KEK (every token issued so far stops verifying):\n" +
        "    npm run keys -- signing rotate --now\n",
    );
    expect(out).not.toContain(other);
    expect(out).not.toContain(kek);
    expect(out).not.toContain("Ready on"); // it never served
    expect(await fetch(`http://localhost:${port}/`).catch(() => "refused")).toBe("refused");

    const rotated = await run(process.execPath, ["src/cli/keys.ts", "signing", "rotate", "--now"], { cwd: dir, env: env() });
    expect(rotated.stdout).toContain('"action":"create"');
    const again = await start(dir, ["--port", String(port)], env(), servers);
    const [after, ...rest] = await jwksKids(port);
    expect([rest, after === before]).toStrictEqual([[], false]);
    expect(again.stdout()).toContain(`edge-token: signing with EdDSA key ${after} (generated), sealed in the local registry.`);
    const demo = JSON.parse(await readFile(join(dir, ".wrangler/state/edge-token-demo-client.json"), "utf8"));
    const res = await fetch(`http://localhost:${port}/oauth/access_token`, {
      method: "POST",
      body: new URLSearchParams({ grant_type: "client_credentials", client_id: demo.client_id, client_secret: demo.client_secret }),
    });
    expect(res.status).toBe(200);
    // Three starts of npm start (one refused) and a CLI run, each a workerd of its own: 13.5 s
    // alone, past a minute on two cores beside three other CLI suites (issue 33).
  }, 180_000);
});
