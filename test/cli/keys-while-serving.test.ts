import { type ChildProcess, execFile, spawn } from "node:child_process";
import { mkdtemp, readFile, rm } from "node:fs/promises";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { promisify } from "node:util";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { freePort } from "../../src/cli/ports.ts";
import { keysCommand } from "../support/keys-cli.ts";

/**
 * `npm run keys` while `npm start` serves the same state: the CLI asks the running server's
 * registry (the one writer), found through the dev registry npm start keeps in that state, and
 * the key works at once; once the server stops, the CLI runs the Worker itself over the same
 * state. The README's examples run against the same server, as a newcomer pastes them.
 */
let state: string;
let port: number;
let server: ChildProcess;
let printed = "";

// In this process, as the CLI's entry runs a command; the server is a real npm start.
const keys = (...args: string[]) => keysCommand([...args, "--persist-to", state, "--verbose"]);

async function waitFor(url: string): Promise<void> {
  for (let i = 0; i < 120; i++) {
    if ((await fetch(url).catch(() => undefined))?.ok) return;
    await new Promise((r) => setTimeout(r, 500));
  }
  throw new Error(`${url} never answered`);
}

beforeAll(async () => {
  state = await mkdtemp(join(tmpdir(), "edge-token-serving-"));
  port = await freePort();
  server = spawn(process.execPath, ["src/cli/start.ts", "--port", String(port), "--persist-to", state], {
    stdio: ["ignore", "pipe", "ignore"],
    // As a newcomer's shell has it: no WRANGLER_LOG of ours (an in-process keys command sets one).
    env: { ...process.env, WRANGLER_LOG: undefined },
  });
  server.stdout!.on("data", (d) => (printed += d));
  await waitFor(`http://localhost:${port}/.well-known/jwks.json`);
}, 90_000);

afterAll(async () => {
  server?.kill("SIGINT");
  await rm(state, { recursive: true, force: true });
});

const token = (c: { client_id: string; client_secret: string }) =>
  fetch(`http://localhost:${port}/oauth/access_token`, {
    method: "POST",
    body: new URLSearchParams({ grant_type: "client_credentials", client_id: c.client_id, client_secret: c.client_secret }),
  });

/** The README's shell lines a newcomer runs after npm start: its token block and its endpoint table, in order. */
async function readmeLines(): Promise<{ setup: string[]; table: string[] }> {
  const readme = await readFile("README.md", "utf8");
  const block = readme.split("```sh\n").find((b) => b.startsWith("export CLIENT_ID="))!;
  const setup = block.slice(0, block.indexOf("```")).trim().split("\n");
  const endpoints = readme.slice(readme.indexOf("## Endpoints"));
  const table = [...endpoints.slice(0, endpoints.indexOf("\n\n", endpoints.indexOf("| ---"))).matchAll(/\| `(curl [^`]+)` \|$/gm)].map(
    (m) => m[1]!,
  );
  return { setup, table };
}

describe("npm run keys while npm start serves the same state", () => {
  it("the README's examples paste as they are: npm start's export line, the two tokens, then every endpoint in order", async () => {
    const { setup, table } = await readmeLines();
    expect(setup[0]).toMatch(/^export CLIENT_ID=… CLIENT_SECRET=…/);
    expect(table).toHaveLength(11);
    const exported = printed
      .split("\n")
      .find((l) => l.trim().startsWith("export CLIENT_ID="))!
      .trim();
    const here = (line: string) => line.replaceAll("localhost:8787", `localhost:${port}`);
    const script = [
      "set -eu",
      exported,
      ...setup.slice(1).map(here),
      ...table.flatMap((line, i) => [`echo "@@${i}"`, here(line), "echo"]),
    ].join("\n");
    const { stdout } = await promisify(execFile)("bash", ["-c", script]);
    const bodies = stdout
      .split(/^@@\d+\n/m)
      .slice(1)
      .map((b) => b.trim());
    const json = (i: number) => JSON.parse(bodies[i]!) as Record<string, unknown> & { data: Record<string, unknown> };
    expect(json(0).data).toMatchObject({ token_type: "Bearer", identifier: "implicit" }); // access_token
    expect(json(1)).toMatchObject({ active: true, scope: "read write" }); // introspect $TOKEN
    expect(bodies[2]).toBe(""); // revoke $TOKEN: an empty 200
    expect((json(3).data as unknown as { name: string }[]).map((k) => k.name)).toContain("demo"); // keys, as $ADMIN_TOKEN
    expect(Array.isArray(json(4).data)).toBe(true); // audit
    expect((json(5).data as unknown as { state: string }[]).map((k) => k.state)).toStrictEqual(["active"]); // signing keys
    expect(Array.isArray(json(6).keys)).toBe(true); // jwks
    expect(json(7).issuer).toBe(`http://localhost:${port}`); // metadata
    expect(json(8).openapi).toMatch(/^3\.1\./); // openapi.json
    expect(json(9)).toHaveProperty("links"); // the JSON index
    expect((json(10).status_lists as string[]).every((u) => u.startsWith(`http://localhost:${port}/oauth/status-lists/`))).toBe(true);
  });

  it("prints the Worker's log line for each request, as docs/security.md describes it", async () => {
    const unknown = "0".repeat(40);
    expect((await token({ client_id: unknown, client_secret: "wrong" })).status).toBe(401);
    let line: Record<string, unknown> | undefined;
    for (let i = 0; i < 50 && !line; i++) {
      await new Promise((r) => setTimeout(r, 100));
      const found = printed.split("\n").find((l) => l.includes(`"client_id":"${unknown}"`));
      line = found === undefined ? undefined : (JSON.parse(found.slice(found.indexOf("{"))) as Record<string, unknown>);
    }
    expect(line).toMatchObject({ level: "info", method: "POST", path: "/oauth/access_token", status: 401, outcome: "invalid_client" });
  });

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
