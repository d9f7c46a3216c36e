import { spawn } from "node:child_process";
import { accessSync, constants } from "node:fs";
import { createRequire } from "node:module";
import { delimiter, dirname, join, resolve } from "node:path";
import { fileURLToPath } from "node:url";

/** The project root: every command runs there, so local state is the one `npm start` serves. */
export const ROOT = resolve(dirname(fileURLToPath(import.meta.url)), "../..");

/** wrangler's own launcher, run on this process's Node (the project's Node 22). */
export const WRANGLER = join(dirname(createRequire(import.meta.url).resolve("wrangler/package.json")), "bin/wrangler.js");

/**
 * The wrangler to run: the one on PATH (npm scripts put the project's own first, and a test can
 * put a stand-in before it), else the project's own on this process's Node.
 */
function command(): [string, string[]] {
  for (const dir of (process.env.PATH ?? "").split(delimiter)) {
    const candidate = join(dir, "wrangler");
    try {
      accessSync(candidate, constants.X_OK);
      return [candidate, []];
    } catch {
      // not here
    }
  }
  return [process.execPath, [WRANGLER]];
}

/**
 * wrangler prints a command's result (a key list, a secret list) at its "log" level: a caller's
 * WRANGLER_LOG of warn, error or none (the CLI quiets Miniflare so) would leave stdout empty.
 */
const quietEnough = (level: string | undefined) =>
  level !== undefined && ["warn", "error", "none"].includes(level.toLowerCase()) ? { WRANGLER_LOG: "log" } : {};

/** Runs wrangler; resolves with stdout, rejects with its stderr. `input` goes to its stdin (secrets). */
export function wrangler(args: string[], o: { cwd?: string; input?: string } = {}): Promise<string> {
  const [file, prefix] = command();
  return new Promise((done, fail) => {
    const child = spawn(file, [...prefix, ...args], {
      cwd: o.cwd ?? ROOT,
      stdio: [o.input === undefined ? "ignore" : "pipe", "pipe", "pipe"],
      env: { ...process.env, ...quietEnough(process.env.WRANGLER_LOG), WRANGLER_SEND_METRICS: "false" },
    });
    if (o.input !== undefined) child.stdin!.end(o.input);
    let out = "";
    let err = "";
    child.stdout?.on("data", (d) => (out += d));
    child.stderr?.on("data", (d) => (err += d));
    child.on("error", fail);
    child.on("close", (code) =>
      code === 0 ? done(out) : fail(new Error(`wrangler ${args.slice(0, 3).join(" ")} failed (${code})\n${err || out}`)),
    );
  });
}
