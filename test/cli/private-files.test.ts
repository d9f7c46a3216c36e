import { execFile } from "node:child_process";
import { chmod, mkdtemp, readFile, rm, stat, writeFile } from "node:fs/promises";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { promisify } from "node:util";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { readDevVar, writeDevVar } from "../../src/cli/dev-vars.ts";

/** Files that hold private keys or secrets are the operator's alone: mode 0600, never in git. */
const run = promisify(execFile);
let dir: string;
beforeAll(async () => {
  dir = await mkdtemp(join(tmpdir(), "edge-token-private-"));
});
afterAll(() => rm(dir, { recursive: true, force: true }));

const mode = async (path: string) => (await stat(path)).mode & 0o777;
const keysCli = (...args: string[]) => run(process.execPath, ["src/cli/manager.ts", ...args]);

describe("private key files", () => {
  it("signing --out writes the key set 0600 (even over an existing 0644 file) and prints nothing private", async () => {
    const out = join(dir, "signing-keys.json");
    await writeFile(out, '{"keys":[]}', { mode: 0o644 });
    await chmod(out, 0o644);
    const { stdout } = await keysCli("signing", "rotate", "--keys-file", out, "--out", out);
    expect(await mode(out)).toBe(0o600);
    const written = JSON.parse(await readFile(out, "utf8")) as { keys: Record<string, string>[] };
    expect(written.keys).toHaveLength(1);
    expect(typeof written.keys[0]!.d).toBe("string");
    expect(JSON.parse(stdout)).toStrictEqual({ out, kids: [written.keys[0]!.kid], signer: written.keys[0]!.kid });
    expect(stdout).not.toContain(written.keys[0]!.d);

    const next = join(dir, "next.json");
    await keysCli("signing", "rotate", "--alg", "ES256", "--keys-file", out, "--out", next);
    expect(await mode(next)).toBe(0o600);
    expect((JSON.parse(await readFile(next, "utf8")) as { keys: unknown[] }).keys).toHaveLength(2);
  });

  it(".dev.vars is created 0600, and an existing one is re-permissioned 0600 when written", async () => {
    const fresh = join(dir, "fresh.dev.vars");
    await writeDevVar("SIGNING_KEYS", '{"keys":[]}', fresh);
    expect(await mode(fresh)).toBe(0o600);

    const loose = join(dir, "loose.dev.vars");
    await writeFile(loose, "OTHER='kept'\n");
    await chmod(loose, 0o644);
    await writeDevVar("SIGNING_KEYS", '{"keys":[1]}', loose);
    expect(await mode(loose)).toBe(0o600);
    expect(await readDevVar("OTHER", loose)).toBe("kept");
    expect(await readDevVar("SIGNING_KEYS", loose)).toBe('{"keys":[1]}');
  });

  it("git ignores the key files the README names, wherever an operator drops them in the tree", async () => {
    for (const path of ["signing-keys.json", "next.json", "keys/signing-keys.json", ".dev.vars", ".dev.vars.production"]) {
      const { stdout } = await run("git", ["check-ignore", "--no-index", path]);
      expect(stdout.trim()).toBe(path);
    }
    await expect(run("git", ["check-ignore", "--no-index", ".dev.vars.example"])).rejects.toMatchObject({ code: 1 });
  });
});
