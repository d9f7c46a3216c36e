import { execFile } from "node:child_process";
import { mkdir, mkdtemp, readdir, readFile, rm, stat, writeFile } from "node:fs/promises";
import { tmpdir } from "node:os";
import { delimiter, join, resolve } from "node:path";
import { afterEach, beforeEach, describe, expect, it } from "vitest";
import { withNamespaceIds } from "../../src/cli/deploy.ts";
import { keysCommand } from "../support/keys-cli.ts";
import { type Deployed, startDeployed } from "./stand-in/deployed.ts";

/**
 * npm run deploy's decisions, against a stand-in wrangler first on PATH (test/cli/stand-in/)
 * that records its calls and answers as wrangler does, and a stand-in deployment (the real
 * Worker in workerd, taking the secrets the stand-in wrangler was given) for the first key's
 * bootstrap and the CLI's --remote. No Cloudflare account is reachable from here: the real path
 * is untested (README, "Deploy"; docs/settings.md).
 */
let dir: string;
let home: string;
let config: string;
let deployed: Deployed;

beforeEach(async () => {
  dir = await mkdtemp(join(tmpdir(), "edge-token-deploy-"));
  home = join(dir, "home");
  await mkdir(join(dir, "project"), { recursive: true });
  await mkdir(home);
  deployed = await startDeployed(dir, join(dir, "deployed"));
  config = join(dir, "project", "wrangler.toml");
  const shipped = await readFile("wrangler.toml", "utf8");
  await writeFile(
    config,
    shipped.replace('ISSUER = ""', `ISSUER = "${deployed.url}"`).replace('main = "src/index.ts"', `main = "${resolve("src/index.ts")}"`),
  );
});
afterEach(async () => {
  await deployed.close();
  await rm(dir, { recursive: true, force: true });
});

interface Run {
  code: number;
  stdout: string;
  stderr: string;
  calls: string[][];
}

/** `tty`: run it on a pseudo-terminal (util-linux `script`), as an operator at a terminal does. */
function deploy(args: string[] = [], env: Record<string, string> = {}, tty = false): Promise<Run> {
  const command = [process.execPath, "src/cli/deploy.ts", "--config", config, ...args];
  const [file, argv] = tty
    ? ["script", ["-qec", command.map((a) => `'${a.replaceAll("'", "'\\''")}'`).join(" "), "/dev/null"]]
    : [command[0]!, command.slice(1)];
  return new Promise((done) => {
    execFile(
      file,
      argv,
      {
        env: {
          ...process.env,
          PATH: `${resolve("test/cli/stand-in")}${delimiter}${process.env.PATH}`,
          STANDIN_DIR: dir,
          STANDIN_DEPLOYED: deployed.url,
          HOME: home,
          ...env,
        },
      },
      async (error, stdout, stderr) => {
        const log = await readFile(join(dir, "calls.jsonl"), "utf8").catch(() => "");
        const calls = log
          .split("\n")
          .filter(Boolean)
          .map((l) => JSON.parse(l) as string[]);
        await writeFile(join(dir, "calls.jsonl"), "");
        done({ code: error ? (error as { code: number }).code : 0, stdout, stderr, calls });
      },
    );
  });
}

const keys = (env: Record<string, string>, ...args: string[]) => keysCommand(args, env);

async function adminToken(c: Record<string, string>): Promise<string> {
  const res = await fetch(`${deployed.url}/oauth/access_token`, {
    method: "POST",
    body: new URLSearchParams({ grant_type: "client_credentials", client_id: c.client_id!, client_secret: c.client_secret! }),
  });
  return ((await res.json()) as { access_token: string }).access_token;
}

/** A call's command words, without the flags every call carries. */
const words = (call: string[]) =>
  call.filter((a, i) => a !== "--config" && call[i - 1] !== "--config" && !a.startsWith("edge-token-")).join(" ");

describe("npm run deploy", () => {
  it("a first deploy creates the namespaces, deploys, uploads a signing key and bootstraps the first key", async () => {
    const first = await deploy();
    expect([first.code, first.stderr.includes("Error")]).toStrictEqual([0, false]);
    expect(first.calls.map(words)).toStrictEqual([
      "kv namespace create --binding CLIENTS",
      "kv namespace create --binding REVOCATIONS",
      "deploy",
      "secret list --format json",
      "secret put SIGNING_KEYS",
      "kv key list --prefix appkey: --binding CLIENTS --remote",
      // the first key, made by the deployment's own registry with a one-time secret, deleted again
      "secret put BOOTSTRAP_SECRET_HASH",
      "secret delete BOOTSTRAP_SECRET_HASH",
    ]);

    // the ids are in the config now, in place of the placeholders
    const written = await readFile(config, "utf8");
    expect(written).toContain(`binding = "CLIENTS"\nid = "${"c".repeat(32)}"`);
    expect(written).toContain(`binding = "REVOCATIONS"\nid = "${"d".repeat(32)}"`);
    expect(written).not.toMatch(/id = "0{20}/);

    // the signing key went to wrangler on stdin, and to a 0600 file outside the project only;
    // no bootstrap secret is left standing
    const state = JSON.parse(await readFile(join(dir, "state.json"), "utf8")) as { secrets: Record<string, string> };
    expect(state.secrets).toStrictEqual({ SIGNING_KEYS: "1 key(s), private: true" });
    const keyFile = join(home, ".config", "edge-token", "edge-token.signing-keys.json");
    expect((await stat(keyFile)).mode & 0o777).toBe(0o600);
    const { d } = (JSON.parse(await readFile(keyFile, "utf8")) as { keys: { d: string }[] }).keys[0]!;
    expect(first.stdout + first.stderr).not.toContain(d);
    for (const f of await readdir(join(dir, "project"))) expect(await readFile(join(dir, "project", f), "utf8")).not.toContain(d);

    // the first key holds the right to manage keys; stdout is no terminal here, so its secret is
    // not printed but kept in a 0600 file whose path is
    const printed = JSON.parse(first.stdout) as Record<string, string>;
    const secretFile = join(home, ".config", "edge-token", "edge-token.first-key.json");
    expect(printed).toStrictEqual({
      id: printed.id,
      client_id: printed.client_id,
      name: "Admin",
      scope: "read write application_keys",
      grant_types: ["client_credentials"],
      client_secret_file: secretFile,
    });
    expect((await stat(secretFile)).mode & 0o777).toBe(0o600);
    const kept = JSON.parse(await readFile(secretFile, "utf8")) as Record<string, string>;
    expect([kept.client_id, kept.client_secret]).toStrictEqual([printed.client_id, expect.stringMatching(/^[A-Za-z0-9_-]{43}$/)]);
    expect(first.stdout + first.stderr).not.toContain(kept.client_secret);
    expect(first.stderr).toContain("Admin is for managing keys, not for calling APIs");

    // the deployment holds it, made by the bootstrap, and the bootstrap opens nothing any more
    const token = await adminToken(kept);
    const audit = (await (
      await fetch(`${deployed.url}/v2/application-keys/audit`, { headers: { Authorization: `Bearer ${token}` } })
    ).json()) as {
      data: { actor: string; action: string; key_id: string }[];
    };
    expect(audit.data.map((e) => [e.actor, e.action, e.key_id])).toStrictEqual([["bootstrap", "create", printed.id]]);

    // a second run only deploys: KV's copy shows the key
    const second = await deploy();
    expect([second.code, second.stdout]).toStrictEqual([0, ""]);
    expect(second.calls.map(words)).toStrictEqual([
      "deploy",
      "secret list --format json",
      "kv key list --prefix appkey: --binding CLIENTS --remote",
    ]);
    expect(await readFile(config, "utf8")).toBe(written);
  });

  it("npm run keys -- --remote works through the deployment's admin API, as the key it is given", async () => {
    expect((await deploy()).code).toBe(0);
    const admin = JSON.parse(await readFile(join(home, ".config", "edge-token", "edge-token.first-key.json"), "utf8")) as Record<
      string,
      string
    >;
    const env = { EDGE_TOKEN_CLIENT_ID: admin.client_id!, EDGE_TOKEN_CLIENT_SECRET: admin.client_secret! };
    const made = await keys(env, "create", "--name", "Shop backend", "--scope", "read write", "--remote", "--config", config);
    expect(made.code).toBe(0);
    const key = JSON.parse(made.stdout) as Record<string, string>;
    expect(key).toMatchObject({ name: "Shop backend", scope: "read write", client_secret: expect.stringMatching(/^[A-Za-z0-9_-]{43}$/) });
    const listed = JSON.parse((await keys(env, "list", "--remote", "--config", config)).stdout) as { name: string }[];
    expect(listed.map((k) => k.name)).toStrictEqual(["Admin", "Shop backend"]);
    expect((await keys(env, "delete", key.id!, "--remote", "--config", config)).code).toBe(0);
    const trail = JSON.parse((await keys(env, "audit", "--remote", "--config", config)).stdout) as { actor: string; action: string }[];
    expect(trail.map((e) => [e.actor, e.action])).toStrictEqual([
      ["bootstrap", "create"],
      [admin.client_id, "create"],
      [admin.client_id, "delete"],
    ]);
    // bound by the key-management rules like any key: Admin cannot delete itself
    const self = await keys(env, "delete", admin.id!, "--remote", "--config", config);
    expect([self.code, self.stderr]).toStrictEqual([1, expect.stringContaining("A key cannot delete itself")]);
    const none = await keys({}, "list", "--remote", "--config", config);
    expect([none.code, none.stderr]).toStrictEqual([1, expect.stringContaining("set EDGE_TOKEN_CLIENT_ID and EDGE_TOKEN_CLIENT_SECRET")]);
  });

  it("at a terminal, prints the first key's secret once, and writes no file", async () => {
    const run = await deploy([], {}, true);
    expect(run.code).toBe(0);
    const line = run.stdout.split(/\r?\n/).find((l) => l.startsWith("{") && l.includes("client_secret"))!; // stderr shares the terminal
    expect(JSON.parse(line)).toMatchObject({ name: "Admin", client_secret: expect.stringMatching(/^[A-Za-z0-9_-]{43}$/) });
    await expect(stat(join(home, ".config", "edge-token", "edge-token.first-key.json"))).rejects.toThrow();
  });

  it("refuses while ISSUER is unset, before running any wrangler command", async () => {
    await writeFile(config, (await readFile(config, "utf8")).replace(`ISSUER = "${deployed.url}"`, 'ISSUER = ""'));
    const run = await deploy();
    expect([run.code, run.calls]).toStrictEqual([2, []]);
    expect(run.stderr).toContain("deploy: ISSUER is not set for the top-level environment");
  });

  it("stops at a failed namespace create: no deploy, the config unchanged", async () => {
    const before = await readFile(config, "utf8");
    const run = await deploy([], { STANDIN_FAIL: "kv-create" });
    expect(run.code).toBe(1);
    expect(run.calls.map(words)).toStrictEqual(["kv namespace create --binding CLIENTS"]);
    expect(run.stderr).toContain("Authentication error [code: 10000]");
    expect(await readFile(config, "utf8")).toBe(before);
  });

  it("--dry-run prints every wrangler command it would run and changes nothing", async () => {
    const before = await readFile(config, "utf8");
    const run = await deploy(["--dry-run"]);
    expect([run.code, run.calls]).toStrictEqual([0, []]);
    const lines = run.stdout.split("\n").filter((l) => l.startsWith("wrangler "));
    expect(lines.map((l) => words(l.split(" ").slice(1)).replace("   (value on stdin)", ""))).toStrictEqual([
      "kv namespace create --binding CLIENTS",
      "kv namespace create --binding REVOCATIONS",
      "deploy",
      "secret list --format json",
      "secret put SIGNING_KEYS",
      "kv key list --prefix appkey: --binding CLIENTS --remote",
      "secret put BOOTSTRAP_SECRET_HASH",
      "secret delete BOOTSTRAP_SECRET_HASH",
    ]);
    expect(await readFile(config, "utf8")).toBe(before);
    await expect(stat(join(home, ".config"))).rejects.toThrow();
  });

  it("--env NAME deploys that environment and gives it namespaces of its own", async () => {
    await writeFile(config, `${await readFile(config, "utf8")}\n[env.staging.vars]\nISSUER = "${deployed.url}"\n`);
    const run = await deploy(["--env", "staging"]);
    expect(run.code).toBe(0);
    expect(run.calls.slice(0, 3).map((c) => c.includes("--env") && c[c.indexOf("--env") + 1])).toStrictEqual([
      "staging",
      "staging",
      "staging",
    ]);
    const written = await readFile(config, "utf8");
    expect(written).toContain(`[[env.staging.kv_namespaces]]\nbinding = "CLIENTS"\nid = "${"c".repeat(32)}"`);
    expect(written).toContain('binding = "CLIENTS"\nid = "00000000000000000000000000c11e75"'); // the top level is left alone
  });
});

describe("withNamespaceIds", () => {
  it("replaces a placeholder id where it stands, and adds a block for a namespace not listed", () => {
    const toml = `[[kv_namespaces]]\nbinding = "CLIENTS"\nid = "0000"\n\n[vars]\nX = "1"\n`;
    expect(withNamespaceIds(toml, { CLIENTS: "a".repeat(32), REVOCATIONS: "b".repeat(32) }, undefined)).toBe(
      `[[kv_namespaces]]\nbinding = "CLIENTS"\nid = "${"a".repeat(32)}"\n\n[vars]\nX = "1"\n\n[[kv_namespaces]]\nbinding = "REVOCATIONS"\nid = "${"b".repeat(32)}"\n`,
    );
  });
});
