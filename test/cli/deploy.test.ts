import { readdir, readFile, stat } from "node:fs/promises";
import { join } from "node:path";
import { describe, expect, it } from "vitest";
import { withNamespaceIds } from "../../src/cli/deploy.ts";
import { adminToken, config, deploy, deployed, dir, home, keys, useDeployHarness, words } from "../support/deploy-harness.ts";
import { rotatedSecret } from "../support/keys-cli.ts";

/**
 * npm run deploy's decisions, against a stand-in wrangler first on PATH (test/cli/stand-in/)
 * that records its calls and answers as wrangler does, and a stand-in deployment (the real
 * Worker in workerd, taking the secrets the stand-in wrangler was given) for the first key's
 * bootstrap and the CLI's --remote. No Cloudflare account is reachable from here: the real path
 * is untested (README, "Deploy"; docs/settings.md).
 */

useDeployHarness();

/** Where the first deploy leaves the first key for its operator (shown once, 0600). */
const firstKeyFile = () => join(home, ".config", "edge-token", "edge-token.first-key.json");

/** A deployment, and its first key: the key, and the variables under which `keys --remote` acts as it. */
async function deployedAdmin() {
  expect((await deploy()).code).toBe(0);
  const admin = JSON.parse(await readFile(firstKeyFile(), "utf8")) as Record<string, string>;
  return { admin, env: { EDGE_TOKEN_CLIENT_ID: admin.client_id!, EDGE_TOKEN_CLIENT_SECRET: admin.client_secret! } };
}

describe("npm run deploy", () => {
  it("a first deploy creates the namespaces, deploys, uploads a KEK and bootstraps the first key", async () => {
    const first = await deploy();
    expect([first.code, first.stderr.includes("Error")]).toStrictEqual([0, false]);
    expect(first.calls.map(words)).toStrictEqual([
      "kv namespace create --binding CLIENTS",
      "kv namespace create --binding REVOCATIONS",
      // a Worker never deployed has no secrets to list: the KEK follows the deploy
      "secret list --format json",
      "deploy",
      "secret list --format json",
      "secret put SIGNING_KEY_KEK",
      "kv key list --prefix appkey: --binding CLIENTS --remote",
      // the first key, made by the deployment's own registry with a one-time secret, deleted again
      "secret put BOOTSTRAP_SECRET_HASH",
      "secret delete BOOTSTRAP_SECRET_HASH",
    ]);

    // the ids are in the config now, in place of the placeholders
    const written = await readFile(config, "utf8");
    expect(written).toContain(`binding = "CLIENTS"\nid = "${"c".repeat(32)}"`);
    expect(written).toContain(`binding = "REVOCATIONS"\nid = "${"d".repeat(32)}"`);
    expect(written).not.toMatch(/id = "0{20}/);

    // the KEK went to wrangler on stdin and nowhere else: not printed, not kept in a file; no
    // bootstrap secret is left standing
    const state = JSON.parse(await readFile(join(dir, "state.json"), "utf8")) as { secrets: Record<string, string> };
    expect(Object.keys(state.secrets)).toStrictEqual(["SIGNING_KEY_KEK"]);
    const kek = state.secrets.SIGNING_KEY_KEK!;
    expect(kek).toMatch(/^[A-Za-z0-9_-]{43}$/);
    expect(first.stdout + first.stderr).not.toContain(kek);
    for (const f of await readdir(join(dir, "project"))) expect(await readFile(join(dir, "project", f), "utf8")).not.toContain(kek);
    for (const f of await readdir(join(home, ".config", "edge-token"))) {
      expect(await readFile(join(home, ".config", "edge-token", f), "utf8")).not.toContain(kek);
    }

    // the first key holds the right to manage keys; stdout is no terminal here, so its secret is
    // not printed but kept in a 0600 file whose path is
    const printed = JSON.parse(first.stdout) as Record<string, string>;
    const secretFile = firstKeyFile();
    expect(printed).toStrictEqual({
      id: printed.id,
      client_id: printed.client_id,
      name: "Admin",
      scope: "read write application_keys signing_keys",
      grant_types: ["client_credentials"],
      client_secret_file: secretFile,
    });
    expect((await stat(secretFile)).mode & 0o777).toBe(0o600);
    const kept = JSON.parse(await readFile(secretFile, "utf8")) as Record<string, string>;
    expect([kept.client_id, kept.client_secret]).toStrictEqual([printed.client_id, expect.stringMatching(/^[A-Za-z0-9_-]{43}$/)]);
    expect(first.stdout + first.stderr).not.toContain(kept.client_secret);
    expect(first.stderr).toContain("Admin is for managing keys, not for calling APIs");

    // the deployment holds it, made by the bootstrap, and the bootstrap opens nothing any more
    const token = await adminToken(kept);
    const audit = (await (
      await fetch(`${deployed.url}/v2/application-keys/audit`, { headers: { Authorization: `Bearer ${token}` } })
    ).json()) as {
      data: { actor: string; action: string; key_id: string }[];
    };
    expect(audit.data.map((e) => [e.actor, e.action, e.key_id])).toStrictEqual([["bootstrap", "create", printed.id]]);

    // the deployment signs with a key its registry made and sealed under that KEK
    const jwks = (await (await fetch(`${deployed.url}/.well-known/jwks.json`)).json()) as { keys: { kid: string }[] };
    expect(jwks.keys).toHaveLength(1);

    // a second run only deploys: its KEK is there, and KV's copy shows the key
    const second = await deploy();
    expect([second.code, second.stdout]).toStrictEqual([0, ""]);
    expect(second.calls.map(words)).toStrictEqual([
      "secret list --format json",
      "deploy",
      "kv key list --prefix appkey: --binding CLIENTS --remote",
    ]);
    expect(JSON.parse(await readFile(join(dir, "state.json"), "utf8")).secrets.SIGNING_KEY_KEK).toBe(kek);
    expect(await readFile(config, "utf8")).toBe(written);
  });

  it("npm run keys -- --remote works through the deployment's admin API, as the key it is given", async () => {
    const { admin, env } = await deployedAdmin();
    const made = await keys(env, "create", "--name", "Shop backend", "--scope", "read write", "--remote", "--config", config);
    expect(made.code).toBe(0);
    const key = JSON.parse(made.stdout) as Record<string, string>;
    expect(key).toMatchObject({ name: "Shop backend", scope: "read write", client_secret: expect.stringMatching(/^[A-Za-z0-9_-]{43}$/) });
    const listed = JSON.parse((await keys(env, "list", "--remote", "--config", config)).stdout) as { name: string }[];
    expect(listed.map((k) => k.name)).toStrictEqual(["Admin", "Shop backend"]);
    expect((await keys(env, "delete", key.id!, "--remote", "--config", config)).code).toBe(0);
    const trail = JSON.parse((await keys(env, "audit", "--remote", "--json", "--config", config)).stdout) as {
      actor: string;
      action: string;
    }[];
    expect(trail.map((e) => [e.actor, e.action])).toStrictEqual([
      ["bootstrap", "create"],
      [admin.client_id, "create"],
      [admin.client_id, "delete"],
    ]);
    // in words: the acting key by the name the deployment's list has for it
    const words = (await keys(env, "audit", "--remote", "--config", config)).stdout.trim().split("\n");
    expect(words.map((l) => l.replace(/^\S+ \S+ UTC · /, "").replace(/ · .*/, ""))).toStrictEqual([
      `“Admin” (${admin.id}) created by deployment bootstrap`,
      `“Shop backend” (${key.id}) created by “Admin” (${admin.client_id})`,
      `“Shop backend” (${key.id}) deleted by “Admin” (${admin.client_id})`,
    ]);
    // bound by the key-management rules like any key: Admin cannot delete itself
    const self = await keys(env, "delete", admin.id!, "--remote", "--config", config);
    expect([self.code, self.stderr]).toStrictEqual([1, expect.stringContaining("A key cannot delete itself")]);
    const none = await keys({}, "list", "--remote", "--config", config);
    expect([none.code, none.stderr]).toStrictEqual([1, expect.stringContaining("set EDGE_TOKEN_CLIENT_ID and EDGE_TOKEN_CLIENT_SECRET")]);
  });

  it("npm run keys -- rotate-secret --remote gives a key a new secret through the admin API, the old one working until its time", async () => {
    const { admin, env } = await deployedAdmin();
    const key = JSON.parse((await keys(env, "create", "--name", "Shop backend", "--remote", "--config", config)).stdout) as Record<
      string,
      string
    >;
    const token = async (secret: string) =>
      (
        await fetch(`${deployed.url}/oauth/access_token`, {
          method: "POST",
          headers: { "Content-Type": "application/x-www-form-urlencoded" },
          body: new URLSearchParams({ grant_type: "client_credentials", client_id: key.client_id!, client_secret: secret }).toString(),
        })
      ).status;

    const rotated = await keys(env, "rotate-secret", key.id!, "--keep-old", "1h", "--remote", "--config", config);
    expect(rotated.code).toBe(0);
    const out = JSON.parse(rotated.stdout) as Record<string, string>;
    expect(out).toStrictEqual(rotatedSecret({ id: key.id!, client_id: key.client_id!, name: "Shop backend" }, true));
    expect(JSON.parse(rotated.stderr.split("\n")[0]!).audit).toStrictEqual({
      actor: admin.client_id,
      action: "rotate_secret",
      key_id: key.id,
      old_scope: "read write",
      new_scope: "read write",
      previous_secret_expires_at: out.previous_secret_expires_at,
    });
    expect(rotated.stderr).toContain("keys: the client_secret above is shown once");
    expect([await token(key.client_secret!), await token(out.client_secret!)]).toStrictEqual([200, 200]);

    const leaked = await keys(env, "rotate-secret", key.id!, "--now", "--remote", "--config", config);
    const now = JSON.parse(leaked.stdout) as Record<string, string>;
    expect(now.previous_secret_expires_at).toBeUndefined();
    expect([await token(key.client_secret!), await token(out.client_secret!), await token(now.client_secret!)]).toStrictEqual([
      401, 401, 200,
    ]);
    // as the admin API answers: 404 for no such key, the rules' refusals as they are worded there
    const unknown = await keys(env, "rotate-secret", "0190f000-0000-7000-8000-000000000000", "--remote", "--config", config);
    expect([unknown.code, unknown.stderr]).toStrictEqual([1, expect.stringContaining("there is no application key")]);
  });

  it("at a terminal, prints the first key's secret once, and writes no file", async () => {
    const run = await deploy([], {}, true);
    expect(run.code).toBe(0);
    const line = run.stdout.split(/\r?\n/).find((l) => l.startsWith("{") && l.includes("client_secret"))!; // stderr shares the terminal
    expect(JSON.parse(line)).toMatchObject({ name: "Admin", client_secret: expect.stringMatching(/^[A-Za-z0-9_-]{43}$/) });
    await expect(stat(firstKeyFile())).rejects.toThrow();
  });
});

describe("withNamespaceIds", () => {
  it("replaces a placeholder id where it stands, and adds a block for a namespace not listed", () => {
    const toml = `[[kv_namespaces]]\nbinding = "CLIENTS"\nid = "0000"\n\n[vars]\nX = "1"\n`;
    expect(withNamespaceIds(toml, { CLIENTS: "a".repeat(32), REVOCATIONS: "b".repeat(32) }, undefined)).toBe(
      `[[kv_namespaces]]\nbinding = "CLIENTS"\nid = "${"a".repeat(32)}"\n\n[vars]\nX = "1"\n\n[[kv_namespaces]]\nbinding = "REVOCATIONS"\nid = "${"b".repeat(32)}"\n`,
    );
  });
});
