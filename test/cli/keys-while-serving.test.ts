import { type ChildProcess, spawn } from "node:child_process";
import { mkdtemp, readFile, rm } from "node:fs/promises";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { freePort } from "../support/free-port.ts";
import { keysCommand } from "../support/keys-cli.ts";

/**
 * `npm run keys` while `npm start` serves the same state: the CLI asks the running server's
 * registry (the one writer), found through wrangler's dev registry, and the key works at once;
 * once the server stops, the CLI runs the Worker itself over the same state. Each run gets a
 * dev registry of its own, so a developer's own npm start is left alone.
 */
let state: string;
let registryDir: string;
let port: number;
let server: ChildProcess;
const env = () => ({ ...process.env, WRANGLER_REGISTRY_PATH: registryDir, CLOUDFLARE_DEV_REGISTRY_PATH: registryDir });

// In this process, as the CLI's entry runs a command; the server is a real npm start.
const keys = (...args: string[]) =>
  keysCommand([...args, "--persist-to", state, "--verbose"], {
    WRANGLER_REGISTRY_PATH: registryDir,
    CLOUDFLARE_DEV_REGISTRY_PATH: registryDir,
  });

async function waitFor(url: string): Promise<void> {
  for (let i = 0; i < 120; i++) {
    if ((await fetch(url).catch(() => undefined))?.ok) return;
    await new Promise((r) => setTimeout(r, 500));
  }
  throw new Error(`${url} never answered`);
}

beforeAll(async () => {
  state = await mkdtemp(join(tmpdir(), "edge-token-serving-"));
  registryDir = await mkdtemp(join(tmpdir(), "edge-token-registry-"));
  port = await freePort();
  server = spawn(process.execPath, ["src/cli/start.ts", "--port", String(port), "--persist-to", state], { env: env(), stdio: "ignore" });
  await waitFor(`http://localhost:${port}/.well-known/jwks.json`);
}, 90_000);

afterAll(async () => {
  server?.kill("SIGINT");
  await rm(state, { recursive: true, force: true });
  await rm(registryDir, { recursive: true, force: true });
});

const token = (c: { client_id: string; client_secret: string }) =>
  fetch(`http://localhost:${port}/oauth/access_token`, {
    method: "POST",
    body: new URLSearchParams({ grant_type: "client_credentials", client_id: c.client_id, client_secret: c.client_secret }),
  });

describe("npm run keys while npm start serves the same state", () => {
  it("creates through the running server's registry, and the key gets a token from it at once", async () => {
    const created = await keys("create", "--name", "made while serving");
    expect(created.stderr).toContain("keys: through the registry of the running npm start");
    const key = JSON.parse(created.stdout) as { id: string; client_id: string; client_secret: string };
    expect((await token(key)).status).toBe(200);

    // the server's own admin API sees it, with the CLI's audit entry
    const demo = JSON.parse(await readFile(join(state, "edge-token-demo-client.json"), "utf8")) as {
      client_id: string;
      client_secret: string;
    };
    const admin = ((await (await token(demo)).json()) as { access_token: string }).access_token;
    const trail = (await (
      await fetch(`http://localhost:${port}/v2/application-keys/audit?filter[key_id]=${key.id}`, {
        headers: { Authorization: `Bearer ${admin}` },
      })
    ).json()) as { data: { actor: string; action: string }[] };
    expect(trail.data.map((e) => [e.actor, e.action])).toStrictEqual([["cli", "create"]]);

    // deleted through the server too: the key is refused at once
    expect((await keys("delete", key.id)).code).toBe(0);
    expect((await token(key)).status).toBe(401);
  });

  it("once the server stops, runs the Worker itself over the same state", async () => {
    server.kill("SIGINT");
    await new Promise((r) => server.once("exit", r));
    const listed = await keys("list");
    expect(listed.stderr).toContain(`keys: in a workerd of its own, over ${state}`);
    expect((JSON.parse(listed.stdout) as { name: string }[]).map((k) => k.name)).toStrictEqual(["demo"]);
  });
});
