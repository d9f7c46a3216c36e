import { readFile, stat, writeFile } from "node:fs/promises";
import { join } from "node:path";
import { describe, expect, it } from "vitest";
import { config, deploy, deployed, home, useDeployHarness, words } from "../support/deploy-harness.ts";

/**
 * npm run deploy's refusals and dry runs, against the stand-in wrangler (test/support/deploy-harness.ts):
 * the other half of test/cli/deploy.test.ts, in a file of its own so the two run side by side.
 */
useDeployHarness();

describe("npm run deploy", () => {
  it("refuses while ISSUER is unset, before running any wrangler command", async () => {
    await writeFile(config, (await readFile(config, "utf8")).replace(`ISSUER = "${deployed.url}"`, 'ISSUER = ""'));
    const run = await deploy();
    expect([run.code, run.calls]).toStrictEqual([2, []]);
    expect(run.stderr).toContain("deploy: ISSUER is not set for the top-level environment");
  });

  it("bad arguments (an unknown option, an option without its value, a stray word) exit 2, before any wrangler command", async () => {
    for (const args of [["--dryrun"], ["--env"], ["pasted-secret-word"]]) {
      const run = await deploy(args);
      expect([args, run.code, run.calls]).toStrictEqual([args, 2, []]);
      expect(run.stderr).toMatch(/^deploy: /);
      expect(run.stderr).toContain("usage: npm run deploy -- [--env NAME] [--dry-run] [--config wrangler.toml]");
      expect(run.stderr).not.toContain("pasted-secret-word"); // a stray word may be a secret: never echoed
    }
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
      "secret list --format json",
      "secret put SIGNING_KEY_KEK",
      "deploy",
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
