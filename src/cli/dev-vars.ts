import { existsSync } from "node:fs";
import { readFile } from "node:fs/promises";
import { join } from "node:path";
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
