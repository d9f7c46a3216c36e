import { type ChildProcess, spawn } from "node:child_process";
import { cp, symlink } from "node:fs/promises";
import { join, resolve } from "node:path";

/** This checkout of the project. */
export const ROOT = resolve(import.meta.dirname, "../..");

/** A checkout of this project in `dir`: its files copied, its node_modules this one's. */
export async function checkout(dir: string): Promise<void> {
  for (const entry of ["src", "docs", "README.md", "wrangler.toml", "package.json", "tsconfig.json"]) {
    await cp(join(ROOT, entry), join(dir, entry), { recursive: true });
  }
  await symlink(join(ROOT, "node_modules"), join(dir, "node_modules"), "dir");
}

/**
 * `npm start` in `root` (its script, on this Node) with `args` (which name --port): resolves
 * once it serves, with what it printed; `servers` collects it for the suite to stop.
 */
export async function start(
  root: string,
  args: string[],
  env: NodeJS.ProcessEnv,
  servers: ChildProcess[],
): Promise<{ server: ChildProcess; stdout: () => string }> {
  const server = spawn(process.execPath, ["src/cli/start.ts", ...args], { cwd: root, env, stdio: ["ignore", "pipe", "pipe"] });
  servers.push(server);
  let out = "";
  server.stdout!.on("data", (d) => (out += d));
  server.stderr!.on("data", (d) => (out += d));
  const port = args[args.indexOf("--port") + 1];
  for (let i = 0; i < 120; i++) {
    if ((await fetch(`http://localhost:${port}/.well-known/jwks.json`).catch(() => undefined))?.ok) return { server, stdout: () => out };
    if (server.exitCode !== null) break;
    await new Promise((r) => setTimeout(r, 500));
  }
  throw new Error(`npm start in ${root} never served:\n${out}`);
}

/** Stops a server and waits for it to be gone. */
export async function stop(server: ChildProcess): Promise<void> {
  if (server.exitCode !== null || server.signalCode !== null) return;
  const exited = new Promise((r) => server.once("exit", r));
  server.kill("SIGINT");
  await exited;
}
