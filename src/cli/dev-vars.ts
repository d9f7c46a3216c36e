import { existsSync } from "node:fs";
import { open, readFile, stat, unlink } from "node:fs/promises";
import { join } from "node:path";
import { setTimeout as sleep } from "node:timers/promises";
import { writePrivateFile } from "./private-file.ts";
import { ROOT } from "./wrangler.ts";

export const DEV_VARS = join(ROOT, ".dev.vars");

/** Reads one variable from .dev.vars (dotenv syntax, as wrangler reads it). */
export async function readDevVar(name: string, file = DEV_VARS): Promise<string | undefined> {
  if (!existsSync(file)) return undefined;
  for (const line of (await readFile(file, "utf8")).split("\n")) {
    const m = /^\s*([A-Za-z_][A-Za-z0-9_]*)\s*=\s*(.*)$/.exec(line);
    if (m?.[1] !== name) continue;
    const v = m[2]!.trim();
    return /^(['"]).*\1$/.test(v) ? v.slice(1, -1) : v;
  }
  return undefined;
}

/** Sets one variable in .dev.vars, keeping every other line; the file holds private keys (0600). */
export async function writeDevVar(name: string, value: string, file = DEV_VARS): Promise<void> {
  const lines = existsSync(file) ? (await readFile(file, "utf8")).split("\n") : [];
  const line = `${name}='${value}'`;
  const at = lines.findIndex((l) => new RegExp(`^\\s*${name}\\s*=`).test(l));
  if (at >= 0) lines[at] = line;
  else lines.splice(lines.length && lines.at(-1) === "" ? lines.length - 1 : lines.length, 0, line);
  await writePrivateFile(file, lines.join("\n").replace(/\n*$/, "\n"));
}

/**
 * The value of a variable in .dev.vars, set to `make()` first if it has none: under a lock file
 * beside it, so two npm starts starting at once agree on one value (a key-encryption key made
 * twice would leave one state's signing keys sealed under a KEK that is gone). True in `made`
 * when this call set it.
 */
export async function ensureDevVar(name: string, make: () => string, file = DEV_VARS): Promise<{ value: string; made: boolean }> {
  const lock = `${file}.lock`;
  for (let waited = 0; ; waited += 100) {
    try {
      await (await open(lock, "wx", 0o600)).close();
      break;
    } catch (error) {
      if ((error as { code?: string }).code !== "EEXIST") throw error;
      // A lock older than this is one a process left behind when it died.
      const age = Date.now() - ((await stat(lock).catch(() => undefined))?.mtimeMs ?? Date.now());
      if (age > 10_000 || waited > 10_000) await unlink(lock).catch(() => {});
      await sleep(100);
    }
  }
  try {
    const existing = (await readDevVar(name, file))?.trim();
    if (existing) return { value: existing, made: false };
    const value = make();
    await writeDevVar(name, value, file);
    return { value, made: true };
  } finally {
    await unlink(lock).catch(() => {});
  }
}
