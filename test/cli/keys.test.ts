import { execFile } from "node:child_process";
import { mkdtemp, rm } from "node:fs/promises";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { promisify } from "node:util";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { getPlatformProxy } from "wrangler";
import { closeKeptKeyAdmins, keepKeyAdminsOpen } from "../../src/cli/key-admin.ts";
import { hashSecret } from "../../src/store/application-keys.ts";
import { keysCommand } from "../support/keys-cli.ts";

/**
 * The CLI as an operator runs it, against local state in a directory of its own. Commands run
 * in this process through the CLI's own entry (`run`, what `npm run keys` calls), over one
 * registry kept open for the file; one test spawns the script itself for its exit code.
 */
let state: string;
let proxy: Awaited<ReturnType<typeof getPlatformProxy<Record<string, KVNamespaceLike>>>>;

const keys = (...args: string[]) => keysCommand([...args, "--persist-to", state]);

async function readKv<T>(binding: "CLIENTS" | "REVOCATIONS", key: string): Promise<T | null> {
  return (await proxy.env[binding]!.get(key, "json")) as T | null;
}
type KVNamespaceLike = { get(key: string, type: "json"): Promise<unknown> };

beforeAll(async () => {
  state = await mkdtemp(join(tmpdir(), "edge-token-cli-"));
  keepKeyAdminsOpen();
  proxy = await getPlatformProxy<Record<string, KVNamespaceLike>>({ configPath: "wrangler.toml", persist: { path: join(state, "v3") } });
});
afterAll(async () => {
  await proxy?.dispose();
  await closeKeptKeyAdmins();
  await rm(state, { recursive: true, force: true });
});

describe("npm run keys (local KV)", () => {
  it("create, list, delete", async () => {
    const created = await keys("create", "--name", "CLI key");
    expect(created.code).toBe(0);
    const key = JSON.parse(created.stdout) as { id: string; client_id: string; client_secret: string; name: string };
    expect(Object.keys(key).sort()).toStrictEqual(["client_id", "client_secret", "grant_types", "id", "name", "scope"]);
    expect(key).toMatchObject({ name: "CLI key", scope: "read write", grant_types: ["client_credentials", "implicit"] });
    // one audit line on stderr, as the admin API logs one
    expect(
      created.stderr
        .trim()
        .split("\n")
        .map((l) => JSON.parse(l)),
    ).toStrictEqual([
      { level: "info", audit: { actor: "cli", action: "create", key_id: key.id, old_scope: null, new_scope: "read write" } },
    ]);

    const record = await readKv<{ secret_hash: string; id: string }>("CLIENTS", `client:${key.client_id}`);
    expect(record?.id).toBe(key.id);
    expect(record).toMatchObject({ scope: "read write", grant_types: ["client_credentials", "implicit"], created_by: "cli" });
    expect(record?.secret_hash).toBe(await hashSecret(key.client_secret));
    expect(JSON.stringify(record)).not.toContain(key.client_secret);

    const listed = await keys("list");
    expect(listed.code).toBe(0);
    const list = JSON.parse(listed.stdout) as Record<string, string>[];
    expect(list).toHaveLength(1);
    expect(list[0]).toMatchObject({
      id: key.id,
      client_id: key.client_id,
      name: "CLI key",
      scope: "read write",
      grant_types: ["client_credentials", "implicit"],
      created_by: "cli",
    });
    expect(listed.stdout).not.toMatch(/secret|hash/);

    const deleted = await keys("delete", key.id);
    expect([deleted.code, JSON.parse(deleted.stdout)]).toStrictEqual([0, { deleted: key.id }]);
    expect(JSON.parse((await keys("list")).stdout)).toStrictEqual([]);
    expect(await readKv("CLIENTS", `client:${key.client_id}`)).toBeNull();
    expect(typeof (await readKv("REVOCATIONS", `client:${key.client_id}`))).toBe("number");

    const again = await keys("delete", key.id);
    expect(again.code).toBe(1);
    expect(again.stderr).toContain("there is no application key");

    // the registry's audit trail, with who, when, and the key before and after
    const trail = JSON.parse((await keys("audit", "--key", key.id)).stdout) as Record<string, unknown>[];
    expect(trail.map((e) => [e.actor, e.action, e.key_id])).toStrictEqual([
      ["cli", "create", key.id],
      ["cli", "delete", key.id],
    ]);
    expect(trail[1]).toMatchObject({ old: { name: "CLI key", scope: "read write" }, new: null, at: expect.stringMatching(/^20\d\d-/) });
  });

  it("create takes a token quota", async () => {
    const created = await keys("create", "--name", "metered", "--quota-per-hour", "3", "--quota-per-day", "50");
    expect(JSON.parse(created.stdout)).toMatchObject({ name: "metered", token_quota: { per_hour: 3, per_day: 50 } });
    const listed = (JSON.parse((await keys("list")).stdout) as Record<string, unknown>[]).find((k) => k.name === "metered");
    expect(listed).toMatchObject({ token_quota: { per_hour: 3, per_day: 50 } });
    const bad = await keys("create", "--name", "x", "--quota-per-hour", "0");
    expect([bad.code, bad.stdout]).toStrictEqual([2, ""]);
  });

  it("create takes --scope and --grant-types, checked against wrangler.toml's SCOPES", async () => {
    const created = await keys("create", "--name", "admin", "--scope", "application_keys read", "--grant-types", "client_credentials");
    expect(created.code).toBe(0);
    expect(JSON.parse(created.stdout)).toMatchObject({
      name: "admin",
      scope: "read application_keys",
      grant_types: ["client_credentials"],
    });
    const listed = (JSON.parse((await keys("list")).stdout) as Record<string, unknown>[]).find((k) => k.name === "admin");
    expect(listed).toMatchObject({ scope: "read application_keys", grant_types: ["client_credentials"] });
    for (const [flag, value, message] of [
      ["--scope", "read admin", "--scope must be space-delimited scopes from: read write application_keys"],
      ["--scope", "", "--scope must be space-delimited scopes from: read write application_keys"],
      ["--grant-types", "password", "--grant-types must be client_credentials, implicit or both, comma-separated"],
    ]) {
      const r = await keys("create", "--name", "x", flag!, value!);
      expect([flag, value, r.code, r.stdout]).toStrictEqual([flag, value, 2, ""]);
      expect(r.stderr).toContain(message);
    }
  });

  it("create makes a key that holds no secret from a file of public keys, DPoP-bound if asked", async () => {
    const { exportJWK, generateKeyPair } = await import("jose");
    const { publicKey } = await generateKeyPair("ES256", { extractable: true });
    const jwksFile = join(state, "machine.jwks.json");
    const { writeFile } = await import("node:fs/promises");
    await writeFile(jwksFile, JSON.stringify({ keys: [{ ...(await exportJWK(publicKey)), kid: "m1" }] }));
    const created = await keys("create", "--name", "machine", "--auth-method", "private_key_jwt", "--jwks", jwksFile, "--dpop-bound");
    expect(created.code).toBe(0);
    const key = JSON.parse(created.stdout) as Record<string, unknown>;
    expect(key).toMatchObject({ name: "machine", token_endpoint_auth_method: "private_key_jwt", dpop_bound_access_tokens: true });
    expect(key).not.toHaveProperty("client_secret");
    const record = await readKv<Record<string, unknown>>("CLIENTS", `client:${key.client_id}`);
    expect(record).toMatchObject({ jwks: { keys: [{ kid: "m1", alg: "ES256", kty: "EC" }] } });
    expect(record).not.toHaveProperty("secret_hash");

    await writeFile(jwksFile, JSON.stringify({ keys: [{ ...(await exportJWK(publicKey)), kid: "m1", d: "private" }] }));
    const refused = await keys("create", "--name", "x", "--auth-method", "private_key_jwt", "--jwks", jwksFile);
    expect([refused.code, refused.stdout]).toStrictEqual([2, ""]);
    expect(refused.stderr).toContain("--jwks is not a usable key set: private key members are not accepted");
    const none = await keys("create", "--name", "x", "--auth-method", "private_key_jwt");
    expect([none.code, none.stderr]).toStrictEqual([2, expect.stringContaining("--auth-method private_key_jwt needs --jwks FILE")]);
  });

  it("refuses bad arguments with exit code 2", async () => {
    for (const args of [["create"], ["create", "--name", ""], ["delete"], ["frobnicate"], ["list", "--env", "x"]]) {
      const r = await keys(...args);
      expect([args, r.code]).toStrictEqual([args, 2]);
      expect(r.stdout).toBe("");
    }
  });

  it("as a script, exits with the command's code: usage on stdout for --help, 2 and the reason on stderr for a bad command", async () => {
    const spawn = promisify(execFile);
    const help = await spawn(process.execPath, ["src/cli/keys.ts", "--help"]);
    expect([help.stdout.startsWith("usage: npm run keys -- create --name NAME"), help.stderr]).toStrictEqual([true, ""]);
    const refused = await spawn(process.execPath, ["src/cli/keys.ts", "frobnicate"]).then(
      (r) => ({ ...r, code: 0 }),
      (e: { code: number; stdout: string; stderr: string }) => e,
    );
    expect([refused.code, refused.stdout]).toStrictEqual([2, ""]);
    expect(refused.stderr).toContain("keys: unknown command: frobnicate");
  });
});

describe("npm run keys -- signing", () => {
  async function signing(input: object, ...args: string[]) {
    const file = join(state, "signing-keys.json");
    const { writeFile } = await import("node:fs/promises");
    await writeFile(file, JSON.stringify(input));
    const r = await keys("signing", ...args, "--keys-file", file);
    if (r.code !== 0) throw new Error(r.stderr);
    return JSON.parse(r.stdout) as { keys: Record<string, string>[] };
  }

  it("rotate publishes a new key second, --activate makes it sign, drop removes the old", async () => {
    const first = await signing({ keys: [] }, "rotate");
    expect(first.keys).toHaveLength(1);
    expect(first.keys[0]).toMatchObject({ kty: "OKP", crv: "Ed25519", alg: "EdDSA", use: "sig" });
    const oldKid = first.keys[0]!.kid!;

    const published = await signing(first, "rotate", "--alg", "ES256");
    expect(published.keys.map((k) => k.kid)[0]).toBe(oldKid);
    expect(published.keys[1]).toMatchObject({ kty: "EC", crv: "P-256", alg: "ES256" });
    const newKid = published.keys[1]!.kid!;

    const activated = await signing(published, "rotate", "--activate");
    expect(activated.keys.map((k) => k.kid)).toStrictEqual([newKid, oldKid]);

    const dropped = await signing(activated, "drop", "--kid", oldKid);
    expect(dropped.keys.map((k) => k.kid)).toStrictEqual([newKid]);
    await expect(signing(dropped, "drop", "--kid", newKid)).rejects.toThrow(/active signing key/);
  });

  it("drops a key whose kid starts with '-' (a thumbprint does, one time in 64)", async () => {
    const set = await signing(await signing({ keys: [] }, "rotate"), "rotate");
    set.keys[1]!.kid = "-A9e2DIZ9TKKcwHS_oKEm9Um7kPK3HnIfbmbJqxCOBI";
    const dropped = await signing(set, "drop", "--kid", "-A9e2DIZ9TKKcwHS_oKEm9Um7kPK3HnIfbmbJqxCOBI");
    expect(dropped.keys.map((k) => k.kid)).toStrictEqual([set.keys[0]!.kid]);
  });
});
