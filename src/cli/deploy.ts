/**
 * `npm run deploy -- [--env NAME] [--dry-run] [--config FILE]`: edge-token on Cloudflare in one
 * command, safe to rerun. In order, each step only if needed:
 *
 *   1. refuse while ISSUER is unset for the target environment (or a dev-only setting is set);
 *   2. create the CLIENTS and REVOCATIONS namespaces the config has no ids for, and write the
 *      ids into the config (the CLI's --remote and consumers binding REVOCATIONS need them);
 *   3. the key-encryption key SIGNING_KEY_KEK when the Worker has none: 32 random bytes made
 *      here and piped to wrangler, never printed, never written anywhere (the registry seals the
 *      signing keys with it and makes the first one on first use; the Cron Trigger in
 *      wrangler.toml rotates them). Put before the deploy when the Worker exists already, so no
 *      request of the new version finds it missing; after it for a new Worker;
 *   4. wrangler deploy;
 *   5. when no application key exists yet, create the first one, with the right to manage keys,
 *      through the deployment's own registry with a one-time bootstrap secret (first-key.ts);
 *      its secret is printed once to a terminal, and otherwise kept in a 0600 file whose path
 *      is printed.
 *
 * wrangler is the one on PATH: npm scripts put the project's own first. --dry-run runs no
 * wrangler command at all and prints the plan.
 */
import { randomBytes } from "node:crypto";
import { mkdir, readFile, writeFile } from "node:fs/promises";
import { homedir } from "node:os";
import { dirname, join, resolve } from "node:path";
import { parseArgs } from "node:util";
import { unstable_readConfig } from "wrangler";
import { scopeSettings } from "../config/vocabulary.ts";
import { anyApplicationKey } from "../store/application-keys.ts";
import { badArguments } from "./arguments.ts";
import { createFirstKey } from "./first-key.ts";
import { wranglerKv } from "./namespaces.ts";
import { writePrivateFile } from "./private-file.ts";
import { ROOT, wrangler } from "./wrangler.ts";

const NAMESPACES = ["CLIENTS", "REVOCATIONS"] as const;

/** The shipped wrangler.toml's ids are placeholders: all zeros but a few letters. */
const isPlaceholder = (id: string | undefined) => id === undefined || id === "" || /^0{20}/.test(id);

/** A deploy that must not go ahead: a setting to fix first (exit code 2). */
class Refusal extends Error {
  override name = "Refusal";
  readonly code = "ERR_DEPLOY_REFUSED";
}

const USAGE = "usage: npm run deploy -- [--env NAME] [--dry-run] [--config wrangler.toml]";

/** The options, or a Refusal (exit code 2, as every bad argument of the CLI): an unknown option, one without its value, a word too many. */
function options(argv: string[]) {
  try {
    return parseArgs({
      args: argv,
      options: { env: { type: "string" }, "dry-run": { type: "boolean", default: false }, config: { type: "string" } },
    }).values;
  } catch (error) {
    const bad = badArguments(error);
    if (bad === undefined) throw error;
    throw new Refusal(`${bad}\n${USAGE}`);
  }
}

async function main(argv: string[]): Promise<number> {
  const values = options(argv);
  const configPath = resolve(values.config ?? join(ROOT, "wrangler.toml"));
  const env = values.env;
  const dry = values["dry-run"];
  const target = [...(env ? ["--env", env] : []), "--config", configPath];
  const say = (line: string) => console.error(`deploy: ${line}`);
  const run = async (args: string[], input?: string): Promise<string> => {
    if (dry) {
      console.log(`wrangler ${[...args, ...target].join(" ")}${input === undefined ? "" : "   (value on stdin)"}`);
      return "";
    }
    return wrangler([...args, ...target], { cwd: dirname(configPath), input });
  };

  const config = unstable_readConfig({ config: configPath, env });
  const configDir = join(homedir(), ".config", "edge-token");
  const vars = (config.vars ?? {}) as Record<string, unknown>;
  const issuer = typeof vars.ISSUER === "string" ? vars.ISSUER.trim() : "";
  if (!issuer || !URL.canParse(issuer)) {
    throw new Refusal(
      `ISSUER is not set for ${env ? `environment "${env}"` : "the top-level environment"}: set it in ${configPath} ([${env ? `env.${env}.` : ""}vars], this service's public URL, e.g. "https://auth.example.com"). A deployed Worker with an empty ISSUER answers 500.`,
    );
  }
  if (vars.ALLOW_REQUEST_ORIGIN_ISSUER !== undefined)
    throw new Refusal("ALLOW_REQUEST_ORIGIN_ISSUER is for .dev.vars only; remove it from the deployed vars.");
  say(
    `${config.name}${env ? ` (env ${env})` : ""}, issuer ${issuer}${dry ? "; dry run: nothing is changed, these are the wrangler commands" : ""}`,
  );

  // 2. namespaces
  const ids = new Map<string, string | undefined>(config.kv_namespaces.map((n: { binding: string; id?: string }) => [n.binding, n.id]));
  const created: Record<string, string> = {};
  for (const binding of NAMESPACES) {
    if (!isPlaceholder(ids.get(binding))) continue;
    const out = await run(["kv", "namespace", "create", `${config.name}-${binding}${env ? `-${env}` : ""}`, "--binding", binding]);
    if (dry) continue;
    const id = /\bid\s*=\s*"([0-9a-f]{32})"/.exec(out)?.[1];
    if (!id) throw new Error(`could not read the new ${binding} namespace's id from wrangler's answer`);
    created[binding] = id;
  }
  if (Object.keys(created).length > 0) {
    await writeFile(configPath, withNamespaceIds(await readFile(configPath, "utf8"), created, env));
    say(`created ${Object.keys(created).join(" and ")}; their ids are now in ${configPath}: commit it`);
  }

  // 3. the key-encryption key, and 4. the Worker. A Worker that does not exist yet has no
  // secrets to list (wrangler fails): it is deployed first, and given its KEK once its list,
  // asked again, shows none. A KEK is never put where one is: it would lock the keys away.
  const secretNames = async () => {
    const listed = await run(["secret", "list", "--format", "json"]);
    return dry ? [] : (JSON.parse(listed || "[]") as { name: string }[]).map((s) => s.name);
  };
  const putKek = async () => {
    if (dry) console.log("   …if SIGNING_KEY_KEK is not among them: 32 random bytes, on stdin, never printed or kept");
    await run(["secret", "put", "SIGNING_KEY_KEK"], dry ? "" : randomBytes(32).toString("base64url"));
    if (!dry) say("uploaded a new SIGNING_KEY_KEK (never printed, kept nowhere else): the registry seals the signing keys with it");
  };
  let secrets = await secretNames().catch(() => undefined);
  if (secrets && !secrets.includes("SIGNING_KEY_KEK")) await putKek();
  await run(["deploy"]);
  if (!secrets) {
    secrets = await secretNames();
    if (!secrets.includes("SIGNING_KEY_KEK")) await putKek();
  }
  if (secrets.includes("SIGNING_KEYS")) {
    say(
      "SIGNING_KEYS is still set: the registry imports its keys on first use and never reads it again. Once `npm run keys -- signing list --remote` shows them, remove it: npx wrangler secret delete SIGNING_KEYS",
    );
  }

  // 5. the first application key, which manages keys (and signing keys, where SCOPES has that
  // right): the registry writes its id index through to KV, so one list tells
  const adminScope = `read write application_keys${scopeSettings(vars as Record<string, string>).scopes.includes("signing_keys") ? " signing_keys" : ""}`;
  if (dry) {
    await run(["kv", "key", "list", "--prefix", "appkey:", "--binding", "CLIENTS", "--remote"]);
    console.log("   …if there is none: a one-time bootstrap secret, its SHA-256 uploaded and deleted again around one call:");
    await run(["secret", "put", "BOOTSTRAP_SECRET_HASH"], "");
    console.log(`   POST ${issuer}/v2/application-keys (Authorization: Bootstrap …): a first key with the scope ${adminScope}`);
    await run(["secret", "delete", "BOOTSTRAP_SECRET_HASH"]);
    return 0;
  }
  if (!(await anyApplicationKey(wranglerKv("CLIENTS", ["--remote", ...target])))) {
    const key = await createFirstKey({
      issuer,
      attributes: { name: "Admin", scope: adminScope, grant_types: ["client_credentials"] },
      wrangler: run,
      say,
    });
    if (key === "exists") {
      say("the registry already holds application keys (KV had not shown them yet): no first key made");
    } else {
      const where = await revealFirstKey(key, join(configDir, `${config.name}${env ? `.${env}` : ""}.first-key.json`));
      say(`created the first application key, Admin (${where}): store its client_secret now, it is not shown again`);
      say(
        "Admin is for managing keys, not for calling APIs: its tokens are for /v2/application-keys and /v2/signing-keys alone. Create a key for each API client with it (npm run keys -- create --name NAME --remote, with EDGE_TOKEN_CLIENT_ID and EDGE_TOKEN_CLIENT_SECRET set to Admin's).",
      );
    }
  }
  say("done");
  return 0;
}

/**
 * The first key's secret goes only where nobody else reads it: to a terminal, or else (a CI
 * log, a pipe, a file) into a 0600 file whose path is printed with the key's other attributes.
 */
async function revealFirstKey(key: { client_secret?: string }, file: string): Promise<string> {
  if (process.stdout.isTTY) {
    process.stdout.write(`${JSON.stringify(key)}\n`);
    return "above";
  }
  await mkdir(dirname(file), { recursive: true, mode: 0o700 });
  await writePrivateFile(file, `${JSON.stringify(key, null, 2)}\n`);
  const { client_secret: _, ...rest } = key;
  process.stdout.write(`${JSON.stringify({ ...rest, client_secret_file: file })}\n`);
  return `its client_secret is in ${file} (0600), not printed, since this is no terminal`;
}

/**
 * The config with the new namespace ids written in: a placeholder id is replaced where it
 * stands; a namespace the config does not list gets a block of its own (an environment's
 * kv_namespaces are not inherited from the top level).
 */
export function withNamespaceIds(toml: string, ids: Record<string, string>, env: string | undefined): string {
  let out = toml;
  for (const [binding, id] of Object.entries(ids)) {
    const header = env ? `\\[\\[env\\.${env.replace(/[.*+?^${}()|[\]\\]/g, "\\$&")}\\.kv_namespaces\\]\\]` : "\\[\\[kv_namespaces\\]\\]";
    const block = new RegExp(`(${header}[ \\t]*\\nbinding[ \\t]*=[ \\t]*"${binding}"[ \\t]*\\n)(id[ \\t]*=[ \\t]*"[^"]*"[ \\t]*\\n)?`);
    if (block.test(out)) out = out.replace(block, `$1id = "${id}"\n`);
    else out = `${out.replace(/\n*$/, "\n")}\n[[${env ? `env.${env}.` : ""}kv_namespaces]]\nbinding = "${binding}"\nid = "${id}"\n`;
  }
  return out;
}

if (import.meta.url === `file://${process.argv[1]}`) {
  main(process.argv.slice(2)).then(
    (code) => process.exit(code),
    (error: unknown) => {
      console.error(`deploy: ${error instanceof Error ? error.message : String(error)}`);
      process.exit(error instanceof Refusal ? 2 : 1);
    },
  );
}
