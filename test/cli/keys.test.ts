import { execFile } from "node:child_process";
import { randomBytes } from "node:crypto";
import { mkdtemp, readFile, rm, stat, writeFile } from "node:fs/promises";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { promisify } from "node:util";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { getPlatformProxy } from "wrangler";
import { ensureDevVar } from "../../src/cli/dev-vars.ts";
import { closeKeptKeyAdmins, keepKeyAdminsOpen } from "../../src/cli/key-admin.ts";
import { hashSecret } from "../../src/store/application-keys.ts";
import { checkedPayload, isAuthenticated } from "../../src/store/authenticated.ts";
import { keysCommand, rotatedSecret } from "../support/keys-cli.ts";

/**
 * The CLI as an operator runs it, against local state in a directory of its own. Commands run
 * in this process through the CLI's own entry (`run`, what `npm run keys` calls), over one
 * registry kept open for the file; one test spawns the script itself for its exit code.
 */
let state: string;
let proxy: Awaited<ReturnType<typeof getPlatformProxy<Record<string, KVNamespaceLike>>>>;

const keys = (...args: string[]) => keysCommand([...args, "--persist-to", state]);

/** A value as the registry wrote it: checked under the KEK, as every isolate checks it. */
async function readKv<T>(binding: "CLIENTS" | "REVOCATIONS", key: string): Promise<T | null> {
  const text = await proxy.env[binding]!.get(key, "text");
  if (text === null) return null;
  // REVOCATIONS' client: keys are for verifiers of earlier versions, plain as those read them.
  if (!isAuthenticated(key) || (binding === "REVOCATIONS" && key.startsWith("client:"))) return JSON.parse(text) as T;
  const payload = await checkedPayload(kek, key, text, Math.floor(Date.now() / 1000));
  if (payload === undefined) throw new Error(`${key} does not check out`);
  return JSON.parse(payload) as T;
}
type KVNamespaceLike = { get(key: string, type: "text"): Promise<string | null> };
let kek: string;

beforeAll(async () => {
  // The CLI's own workerd reads the checkout's .dev.vars, as wrangler dev does: the KEK npm start would write.
  kek = (await ensureDevVar("SIGNING_KEY_KEK", () => randomBytes(32).toString("base64url"))).value;
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
    // on stderr: one audit line, as the admin API logs one, then the word that the secret is shown once
    const [audit, ...said] = created.stderr.trim().split("\n");
    expect(JSON.parse(audit!)).toStrictEqual({
      level: "info",
      audit: { actor: "cli", action: "create", key_id: key.id, old_scope: null, new_scope: "read write" },
    });
    expect(said).toStrictEqual([
      "keys: the client_secret above is shown once: store it now; it cannot be read again (a lost one is replaced with npm run keys -- rotate-secret ID).",
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
    // every token it had is revoked through the cut-offs (no key per client any more)
    expect((await readKv<{ clients: Record<string, unknown> }>("REVOCATIONS", "cutoffs"))?.clients[key.client_id]).toStrictEqual({
      v: Number.MAX_SAFE_INTEGER,
      t: 253_402_300_799,
    });

    const again = await keys("delete", key.id);
    expect(again.code).toBe(1);
    expect(again.stderr).toContain("there is no application key");

    // the registry's audit trail, with who, when, and the key before and after (--json, for scripts)
    const trail = JSON.parse((await keys("audit", "--key", key.id, "--json")).stdout) as Record<string, unknown>[];
    expect(trail.map((e) => [e.actor, e.action, e.key_id])).toStrictEqual([
      ["cli", "create", key.id],
      ["cli", "delete", key.id],
    ]);
    expect(trail[1]).toMatchObject({ old: { name: "CLI key", scope: "read write" }, new: null, at: expect.stringMatching(/^20\d\d-/) });
    // and as people read it, in the console's words: a line each, the key by name (the deleted key by the name its entry kept)
    const words = await keys("audit", "--key", key.id);
    const at = (e: Record<string, unknown>) => `${String(e.at).slice(0, 19).replace("T", " ")} UTC`;
    expect([words.code, words.stdout]).toStrictEqual([
      0,
      `${at(trail[0]!)} · “CLI key” (${key.id}) created by command line · scope: read write; grant types: client_credentials, implicit\n` +
        `${at(trail[1]!)} · “CLI key” (${key.id}) deleted by command line · every token it held revoked\n`,
    ]);
    const deletions = await keys("audit", "--action", "delete", "--json");
    expect((JSON.parse(deletions.stdout) as { action: string }[]).every((e) => e.action === "delete")).toBe(true);
    expect((await keys("audit", "--action", "delete")).stdout).toContain(`“CLI key” (${key.id}) deleted by command line`);
    const wrong = await keys("audit", "--action", "remove");
    expect([wrong.code, wrong.stderr]).toStrictEqual([
      2,
      expect.stringContaining("--action must be one of create, rename, update, rotate_secret, delete"),
    ]);
    const none = await keys("audit", "--key", "01a23d5a-0000-7000-8000-000000000000");
    expect([none.code, none.stdout, none.stderr]).toStrictEqual([0, "", "keys: the audit trail has no entries\n"]);
  });

  it("says so on stderr when --persist-to names a directory with no state yet (a mistyped path), and none for one that has it", async () => {
    const typo = join(state, "no-such-state");
    const fresh = await keysCommand(["list", "--persist-to", typo]);
    expect([fresh.code, JSON.parse(fresh.stdout)]).toStrictEqual([0, []]);
    expect(fresh.stderr).toBe(
      `keys: there was no local state at ${typo}: this command makes a new one there (npm start -- --persist-to ${typo} serves it); check the path if you meant an existing one.\n`,
    );
    expect((await keysCommand(["list", "--persist-to", typo])).stderr).toBe("");
    expect((await keys("list")).stderr).toBe("");
  });

  it("audit prints a key's name quoted and written out: its terminal escapes and bidi controls never reach the terminal", async () => {
    // A name that erases the line, prints its own in green, conceals the rest, and turns what follows around.
    const name = "Payments\u001b[2K\r\u001b[32mall good\u001b[8m\u009b\u007f\u202e by command line";
    const key = JSON.parse((await keys("create", "--name", name)).stdout) as { id: string };
    const words = await keys("audit", "--key", key.id);
    expect(words.code).toBe(0);
    // biome-ignore lint/suspicious/noControlCharactersInRegex: control characters are what this looks for
    expect(words.stdout.trimEnd()).not.toMatch(/[\u0000-\u001f\u007f-\u009f\u061c\u200e\u200f\u2028\u2029\u202a-\u202e\u2066-\u2069]/);
    expect(words.stdout).toMatch(
      / · “Payments\\u001B\[2K\\u000D\\u001B\[32mall good\\u001B\[8m\\u009B\\u007F\\u202E by command line” \(\S+\) created by command line · /,
    );
    expect((await keys("delete", key.id)).code).toBe(0);
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
      ["--scope", "read admin", "--scope must be space-delimited scopes from: read write application_keys signing_keys"],
      ["--scope", "", "--scope must be space-delimited scopes from: read write application_keys signing_keys"],
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
    expect(refused.stderr).toContain('--jwks is not a usable key set: key "m1": private key members are not accepted');
    const none = await keys("create", "--name", "x", "--auth-method", "private_key_jwt");
    expect([none.code, none.stderr]).toStrictEqual([2, expect.stringContaining("--auth-method private_key_jwt needs --jwks FILE")]);
  });

  it("refuses bad arguments with exit code 2", async () => {
    // An unknown option, and an option without its value, are bad arguments too (docs/cli.md: 2, not 1).
    for (const args of [
      ["create"],
      ["create", "--name", ""],
      ["delete"],
      ["frobnicate"],
      ["list", "--env", "x"],
      ["list", "--bogus"],
      ["signing", "rotate", "--bogus"],
      ["create", "--name", "x", "--scope"],
      // a word too many is refused, not ignored: "now" is not --now
      ["rotate-secret", "0190f000-0000-7000-8000-000000000000", "now"],
      ["rotate", "now"],
      ["signing", "rotate", "now"],
      ["list", "extra"],
    ]) {
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

describe("npm run keys -- rotate-secret", () => {
  it("on npm start's demo client, saves the new secret in its file, so npm start prints one that works", async () => {
    const demo = JSON.parse((await keys("create", "--name", "demo")).stdout) as { id: string; client_secret: string };
    const file = join(state, "edge-token-demo-client.json");
    await writeFile(file, JSON.stringify(demo));
    const rotated = await keys("rotate-secret", demo.id, "--keep-old", "90s");
    const { client_secret } = JSON.parse(rotated.stdout) as { client_secret: string };
    expect(rotated.stderr).toContain("keys: this is npm start's demo client: its saved file now holds the new secret");
    expect(JSON.parse(await readFile(file, "utf8"))).toStrictEqual({ ...demo, client_secret });
    expect((await stat(file)).mode & 0o777).toBe(0o600);
    // another key's rotation leaves the file alone
    const other = JSON.parse((await keys("create", "--name", "not the demo")).stdout) as { id: string };
    expect((await keys("rotate-secret", other.id)).stderr).not.toContain("demo client");
    expect(JSON.parse(await readFile(file, "utf8"))).toStrictEqual({ ...demo, client_secret });
    await rm(file);
  });

  it("prints the new secret once, the old one working until its time; --now ends it and revokes the key's tokens; the audit trail tells it", async () => {
    const key = JSON.parse((await keys("create", "--name", "rotating")).stdout) as { id: string; client_id: string; client_secret: string };
    const rotated = await keys("rotate-secret", key.id, "--keep-old", "10m");
    expect(rotated.code).toBe(0);
    const out = JSON.parse(rotated.stdout) as Record<string, string>;
    expect(out).toStrictEqual(rotatedSecret({ ...key, name: "rotating" }, true));
    expect(out.client_secret).not.toBe(key.client_secret);
    const left = Date.parse(out.previous_secret_expires_at!) - Date.now();
    expect(left > 590_000 && left <= 600_000).toBe(true);
    // on stderr: the audit line, as the admin API logs one, then the word that the secret is shown once
    const [audit, ...said] = rotated.stderr.trim().split("\n");
    expect(JSON.parse(audit!)).toStrictEqual({
      level: "info",
      audit: {
        actor: "cli",
        action: "rotate_secret",
        key_id: key.id,
        old_scope: "read write",
        new_scope: "read write",
        previous_secret_expires_at: out.previous_secret_expires_at,
      },
    });
    expect(said).toStrictEqual([
      `keys: the client_secret above is shown once: store it now; it cannot be read again. The old secret works until ${out.previous_secret_expires_at}: give every client the new one before then.`,
    ]);
    // kept as digests, the old one with its time; the listing says until when, and shows neither
    expect(await readKv("CLIENTS", `client:${key.client_id}`)).toMatchObject({
      secret_hash: await hashSecret(out.client_secret!),
      previous_secret_hash: await hashSecret(key.client_secret),
      previous_secret_expires_at: out.previous_secret_expires_at,
    });
    const listed = (await keys("list")).stdout;
    expect((JSON.parse(listed) as Record<string, string>[]).find((k) => k.id === key.id)?.previous_secret_expires_at).toBe(
      out.previous_secret_expires_at,
    );
    expect(listed).not.toMatch(/client_secret|hash/);

    const leaked = await keys("rotate-secret", key.id, "--now");
    expect(leaked.code).toBe(0);
    const now = JSON.parse(leaked.stdout) as Record<string, string>;
    expect(Object.keys(now).sort()).toStrictEqual(["client_id", "client_secret", "id", "name"]);
    expect(leaked.stderr.trim().split("\n").at(-1)).toBe(
      "keys: the client_secret above is shown once: store it now; it cannot be read again. The old secret stopped working at once, and every token the key held is revoked.",
    );
    const record = await readKv<Record<string, unknown>>("CLIENTS", `client:${key.client_id}`);
    expect([record?.secret_hash, record?.previous_secret_hash]).toStrictEqual([await hashSecret(now.client_secret!), undefined]);
    // every token minted from the records before: below the version the new record has
    const cutoffs = await readKv<{ clients: Record<string, { v: number }> }>("REVOCATIONS", "cutoffs");
    expect([cutoffs?.clients[key.client_id]?.v, record?.version]).toStrictEqual([3, 3]);

    // the trail as JSON (in words by default once the CLI prints it so: --json then), neither ever holding a secret or digest
    const plain = await keys("audit", "--key", key.id);
    const trail = plain.stdout.trimStart().startsWith("[") ? plain : await keys("audit", "--key", key.id, "--json");
    const entries = JSON.parse(trail.stdout) as { action: string; at: string; new: { previous_secret_expires_at?: string } }[];
    expect(entries.map((e) => e.action)).toStrictEqual(["create", "rotate_secret", "rotate_secret"]);
    expect(entries.map((e) => e.new.previous_secret_expires_at)).toStrictEqual([undefined, out.previous_secret_expires_at, entries[2]!.at]);
    for (const s of [key.client_secret, out.client_secret!, now.client_secret!]) {
      for (const printed of [plain.stdout, trail.stdout])
        expect([printed.includes(s), printed.includes(await hashSecret(s))]).toStrictEqual([false, false]);
    }
  });

  it("refuses bad arguments with exit code 2, an unknown key or one without a secret with 1", async () => {
    const key = JSON.parse((await keys("create", "--name", "target")).stdout) as { id: string };
    for (const args of [
      ["rotate-secret"],
      ["rotate-secret", key.id, "--keep-old", "90"],
      ["rotate-secret", key.id, "--keep-old", "8d"],
      ["rotate-secret", key.id, "--keep-old", "1.5h"],
      ["rotate-secret", key.id, "--keep-old", "-1h"],
      ["rotate-secret", key.id, "--keep-old", "1h", "--now"],
    ]) {
      const r = await keys(...args);
      expect([args, r.code, r.stdout]).toStrictEqual([args, 2, ""]);
    }
    expect((await keys("rotate-secret", key.id, "--keep-old", "8d")).stderr).toContain(
      "keys: --keep-old must be a duration such as 90s, 10m, 24h or 7d, at most 7d",
    );
    const unknown = await keys("rotate-secret", "0190f000-0000-7000-8000-000000000000");
    expect([unknown.code, unknown.stdout, unknown.stderr]).toStrictEqual([
      1,
      "",
      "keys: there is no application key with id 0190f000-0000-7000-8000-000000000000\n",
    ]);
    const { exportJWK, generateKeyPair } = await import("jose");
    const { publicKey } = await generateKeyPair("EdDSA", { extractable: true });
    const jwksFile = join(state, "no-secret.jwks.json");
    const { writeFile } = await import("node:fs/promises");
    await writeFile(jwksFile, JSON.stringify({ keys: [{ ...(await exportJWK(publicKey)), kid: "n1" }] }));
    const machine = JSON.parse(
      (await keys("create", "--name", "no secret", "--auth-method", "private_key_jwt", "--jwks", jwksFile)).stdout,
    );
    const refused = await keys("rotate-secret", machine.id, "--now");
    expect([refused.code, refused.stdout]).toStrictEqual([1, ""]);
    expect(refused.stderr).toContain(
      "keys: This key holds no secret: it proves itself with private_key_jwt, and its keys rotate by replacing its jwks",
    );
  });
});

describe("npm run keys -- signing (the registry's signing keys)", () => {
  const signing = async (...args: string[]) => {
    const r = await keys("signing", ...args);
    return { ...r, json: r.code === 0 ? JSON.parse(r.stdout) : undefined };
  };
  type Key = { kid: string; state: string; alg: string; revoked: boolean; activate_at: string | null };

  it("rotate publishes a next key and is idempotent; --now retires every key at once and revokes them; audit tells it all", async () => {
    const first = await signing("rotate");
    expect(first.code).toBe(0);
    const keysOf = (r: { json: { keys: Key[] } }) => r.json.keys.filter((k) => k.state !== "retired").map((k) => k.state);
    expect(keysOf(first)).toStrictEqual(["next", "active"]);
    const next = first.json.keys[0] as Key;
    expect(first.stderr).toContain(`keys: key ${next.kid} is published as next; the schedule makes it active from ${next.activate_at}`);
    // an hour from now: the lead time verifiers need to learn it
    expect(Date.parse(next.activate_at!) - Date.now()).toBeGreaterThan(3590_000);

    const again = await signing("rotate");
    expect([again.code, keysOf(again)]).toStrictEqual([0, ["next", "active"]]);
    expect(again.json.changes).toStrictEqual([]);
    expect(again.stderr).toContain("is already published as next");

    const listed = await signing("list");
    expect((listed.json as Key[]).map((k) => [k.kid, k.state])).toStrictEqual(first.json.keys.map((k: Key) => [k.kid, k.state]));

    const before = (listed.json as Key[]).filter((k) => k.state !== "retired").map((k) => k.kid);
    const emergency = await signing("rotate", "--now");
    expect(emergency.code).toBe(0);
    const active = (emergency.json.keys as Key[]).find((k) => k.state === "active")!;
    expect(before).not.toContain(active.kid);
    expect((emergency.json.keys as Key[]).filter((k) => before.includes(k.kid)).map((k) => [k.state, k.revoked])).toStrictEqual([
      ["retired", true],
      ["retired", true],
    ]);
    expect(emergency.stderr).toContain(
      `keys: key ${active.kid} signs now; ${before.join(", ")} left the JWKS and every token they signed is revoked`,
    );

    const trail = (await signing("audit", "--json")).json as { actor: string; action: string; kid: string }[];
    expect(trail.slice(-4).map((e) => [e.actor, e.action, e.kid])).toStrictEqual([
      ["cli", "publish", next.kid],
      ["cli", "revoke", before[0]],
      ["cli", "revoke", before[1]],
      ["cli", "create", active.kid],
    ]);
    // in words, as the console says it
    const words = (await keys("signing", "audit")).stdout.trim().split("\n").slice(-4);
    expect(words.map((l) => l.replace(/^\S+ \S+ UTC · /, ""))).toStrictEqual([
      `signing key ${next.kid} published by command line · state: new → next`,
      `signing key ${before[0]} revoked by command line · state: next → retired; every token it signed revoked`,
      `signing key ${before[1]} revoked by command line · state: active → retired; every token it signed revoked`,
      `signing key ${active.kid} made by command line · state: new → active`,
    ]);

    // `rotate --now` on its own is the same emergency rotation.
    const short = await keys("rotate", "--now");
    expect(short.code).toBe(0);
    const made = (JSON.parse(short.stdout) as { changes: { action: string; kid: string }[] }).changes;
    expect(made.map((c) => [c.action, c.kid])).toStrictEqual([
      ["revoke", active.kid],
      ["create", expect.any(String)],
    ]);
  });

  it("refuses what rotation took before the registry held the keys, and bad arguments, with exit code 2", async () => {
    for (const args of [
      ["rotate", "--activate"],
      ["drop", "--kid", "abc"],
      ["rotate", "--keys-file", "x"],
      ["rotate", "--out", "x"],
    ]) {
      const r = await keys("signing", ...args);
      expect([args, r.code, r.stdout]).toStrictEqual([args, 2, ""]);
      expect(r.stderr).toContain("the signing keys live in the registry now (docs/rotation.md)");
    }
    const alg = await keys("signing", "rotate", "--alg", "RS256");
    expect([alg.code, alg.stderr]).toStrictEqual([2, expect.stringContaining("--alg must be EdDSA or ES256")]);
    const bare = await keys("signing");
    expect([bare.code, bare.stderr]).toStrictEqual([
      2,
      expect.stringContaining("signing needs list, rotate [--now] [--alg EdDSA|ES256] or audit"),
    ]);
    const misplaced = await keys("signing", "list", "--now");
    expect([misplaced.code, misplaced.stderr]).toStrictEqual([2, expect.stringContaining("--now and --alg go with signing rotate")]);
  });
});
