import { execFile } from "node:child_process";
import { chmod, lstat, mkdtemp, readFile, rm, stat, symlink, writeFile } from "node:fs/promises";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { promisify } from "node:util";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { readDevVar, writeDevVar } from "../../src/cli/dev-vars.ts";
import { writePrivateFile } from "../../src/cli/private-file.ts";

/** Files that hold private keys or secrets are the operator's alone: mode 0600, never in git. */
const run = promisify(execFile);
let dir: string;
beforeAll(async () => {
  dir = await mkdtemp(join(tmpdir(), "edge-token-private-"));
});
afterAll(() => rm(dir, { recursive: true, force: true }));

const mode = async (path: string) => (await stat(path)).mode & 0o777;

describe("private key files", () => {
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

  it("a private file replaces an existing one with a new 0600 file: it is never readable by others, not even while written", async () => {
    const path = join(dir, "loose.json");
    await writeFile(path, "old", { mode: 0o644 });
    await chmod(path, 0o644);
    const before = await stat(path);
    await writePrivateFile(path, "secret");
    const after = await stat(path);
    // A new inode, created 0600: the secret was never written into the 0644 file.
    expect([after.ino === before.ino, after.mode & 0o777, await readFile(path, "utf8")]).toStrictEqual([false, 0o600, "secret"]);
  });

  it("a private file does not follow a symlink: the link is replaced, its target left alone", async () => {
    const target = join(dir, "elsewhere.txt");
    await writeFile(target, "not yours", { mode: 0o644 });
    const link = join(dir, "linked.dev.vars");
    await symlink(target, link);
    await writeDevVar("SIGNING_KEYS", '{"keys":[2]}', link);
    expect(await readFile(target, "utf8")).toBe("not yours");
    expect((await stat(target)).mode & 0o777).toBe(0o644);
    expect([(await lstat(link)).isSymbolicLink(), await mode(link)]).toStrictEqual([false, 0o600]);
    expect(await readDevVar("SIGNING_KEYS", link)).toBe('{"keys":[2]}');
    // a dangling link is no way in either
    const dangling = join(dir, "dangling.json");
    await symlink(join(dir, "nowhere", "x"), dangling);
    await writePrivateFile(dangling, "k");
    expect([(await lstat(dangling)).isSymbolicLink(), await readFile(dangling, "utf8")]).toStrictEqual([false, "k"]);
  });

  it("git ignores the key files the README names, wherever an operator drops them in the tree", async () => {
    for (const path of ["signing-keys.json", "next.json", "keys/signing-keys.json", ".dev.vars", ".dev.vars.production"]) {
      const { stdout } = await run("git", ["check-ignore", "--no-index", path]);
      expect(stdout.trim()).toBe(path);
    }
    await expect(run("git", ["check-ignore", "--no-index", ".dev.vars.example"])).rejects.toMatchObject({ code: 1 });
  });
});
