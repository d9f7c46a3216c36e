import { existsSync } from "node:fs";
import { readFile, writeFile } from "node:fs/promises";
import { join } from "node:path";
import { ROOT } from "./wrangler.ts";

export const DEV_VARS = join(ROOT, ".dev.vars");

/** Reads one variable from .dev.vars (dotenv syntax, as wrangler reads it). */
export async function readDevVar(name: string): Promise<string | undefined> {
  if (!existsSync(DEV_VARS)) return undefined;
  for (const line of (await readFile(DEV_VARS, "utf8")).split("\n")) {
    const m = /^\s*([A-Za-z_][A-Za-z0-9_]*)\s*=\s*(.*)$/.exec(line);
    if (m?.[1] !== name) continue;
    const v = m[2]!.trim();
    return /^(['"]).*\1$/.test(v) ? v.slice(1, -1) : v;
  }
  return undefined;
}

/** Sets one variable in .dev.vars, keeping every other line. */
export async function writeDevVar(name: string, value: string): Promise<void> {
  const lines = existsSync(DEV_VARS) ? (await readFile(DEV_VARS, "utf8")).split("\n") : [];
  const line = `${name}='${value}'`;
  const at = lines.findIndex((l) => new RegExp(`^\\s*${name}\\s*=`).test(l));
  if (at >= 0) lines[at] = line;
  else lines.splice(lines.length && lines.at(-1) === "" ? lines.length - 1 : lines.length, 0, line);
  await writeFile(DEV_VARS, lines.join("\n").replace(/\n*$/, "\n"), { mode: 0o600 });
}
