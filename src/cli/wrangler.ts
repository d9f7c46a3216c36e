import { spawn } from "node:child_process";
import { createRequire } from "node:module";
import { dirname, join, resolve } from "node:path";
import { fileURLToPath } from "node:url";

/** The project root: every command runs there, so local state is the one `npm start` serves. */
export const ROOT = resolve(dirname(fileURLToPath(import.meta.url)), "../..");

/** wrangler's own launcher, run on this process's Node (the project's Node 22). */
export const WRANGLER = join(dirname(createRequire(import.meta.url).resolve("wrangler/package.json")), "bin/wrangler.js");

/** Runs wrangler on this project's Node; resolves with stdout, rejects with its stderr. */
export function wrangler(args: string[]): Promise<string> {
  return new Promise((done, fail) => {
    const child = spawn(process.execPath, [WRANGLER, ...args], {
      cwd: ROOT,
      stdio: ["ignore", "pipe", "pipe"],
      env: { ...process.env, WRANGLER_SEND_METRICS: "false" },
    });
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
