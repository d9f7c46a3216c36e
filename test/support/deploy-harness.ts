import { execFile } from "node:child_process";
import { mkdir, mkdtemp, readFile, rm, writeFile } from "node:fs/promises";
import { tmpdir } from "node:os";
import { delimiter, join, resolve } from "node:path";
import { afterEach, beforeEach } from "vitest";
import { type Deployed, startDeployed } from "../cli/stand-in/deployed.ts";
import { keysCommand } from "./keys-cli.ts";

/**
 * What the npm run deploy suites share: each test gets a directory of its own with a project
 * (the shipped wrangler.toml, ISSUER pointing at a stand-in deployment), a HOME, and the
 * stand-in wrangler first on PATH (test/cli/stand-in/), which records its calls.
 * `useDeployHarness()` registers the hooks that make and remove them; the bindings below are live.
 */
export let dir: string;
export let home: string;
export let config: string;
export let deployed: Deployed;

/** Registers the per-test setup in the calling suite file (call it once, at its top level). */
export function useDeployHarness(): void {
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
}

export interface Run {
  code: number;
  stdout: string;
  stderr: string;
  calls: string[][];
}

/** `tty`: run it on a pseudo-terminal (util-linux `script`), as an operator at a terminal does. */
export function deploy(args: string[] = [], env: Record<string, string> = {}, tty = false): Promise<Run> {
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

export const keys = (env: Record<string, string>, ...args: string[]) => keysCommand(args, env);

export async function adminToken(c: Record<string, string>): Promise<string> {
  const res = await fetch(`${deployed.url}/oauth/access_token`, {
    method: "POST",
    body: new URLSearchParams({ grant_type: "client_credentials", client_id: c.client_id!, client_secret: c.client_secret! }),
  });
  return ((await res.json()) as { access_token: string }).access_token;
}

/** A call's command words, without the flags every call carries. */
export const words = (call: string[]) =>
  call.filter((a, i) => a !== "--config" && call[i - 1] !== "--config" && !a.startsWith("edge-token-")).join(" ");
