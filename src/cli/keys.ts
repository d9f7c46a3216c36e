/**
 * `npm run keys -- <command>`: application keys and signing keys, for operators.
 *
 *   create --name NAME [--scope "S …"] [--grant-types client_credentials,implicit]
 *          [--quota-per-hour N] [--quota-per-day N] [--implicit-quota-per-hour N] [--implicit-quota-per-day N]
 *          [--auth-method private_key_jwt --jwks FILE] [--dpop-bound]
 *                             create a key (default scope: DEFAULT_SCOPE; grants: DEFAULT_GRANT_TYPES);
 *                             prints {"id","client_id","client_secret","name","scope","grant_types"};
 *                             a private_key_jwt key (its public keys in FILE, {"keys":[…]}) has
 *                             no client_secret; --dpop-bound: its tokens must be DPoP-bound
 *   list                      prints a JSON array of keys with scope and grant types (never a secret)
 *   delete ID                 deletes a key and revokes every token it holds; prints {"deleted":ID}
 *   rotate-secret ID [--keep-old DURATION | --now]
 *                             a new secret for the key, printed once ({"id","client_id","name",
 *                             "client_secret","previous_secret_expires_at"}); the old one works
 *                             DURATION more (90s, 10m, 24h, 7d; default 24h, at most 7d); --now:
 *                             it stops at once and every token the key holds is revoked
 *   audit [--key ID] [--action A] [--json]
 *                             the registry's audit trail of key changes, oldest first, a line each
 *                             in words (keys and actors by name, ids beside); --json: as JSON
 *   signing list              the signing keys the registry holds, newest first, with their states
 *   signing rotate [--alg EdDSA|ES256]
 *                             a next key now, in the JWKS at once; the schedule makes it active an
 *                             hour later and retires the old one once its tokens have expired
 *   signing rotate --now      emergency: a new key signs at once, every other key leaves the JWKS
 *                             and every token it signed is revoked
 *   signing audit [--json]    every rotation step, oldest first (docs/rotation.md), in words or JSON
 *   rotate [--now]            the same as signing rotate [--now]
 *   client-key NAME [--alg EdDSA|ES256|PS256]
 *                             a client's key pair for private_key_jwt and DPoP: the private JWK kept
 *                             in .wrangler/client-keys/ (0600, gitignored), the public set written
 *                             to NAME.jwks.json (for create --jwks) and printed
 *   client-assertion NAME --client-id ID --aud URL
 *                             prints a client assertion (RFC 7523) signed with NAME's key
 *   dpop-proof NAME --url URL [--method M] [--access-token T]
 *                             prints a DPoP proof (RFC 9449) signed with NAME's key
 *
 * Keys live in the registry (the one writer): by default the local one `npm start` serves
 * (through it while it runs, in a workerd of the CLI's own over the same state otherwise), or
 * `--persist-to DIR`; `--remote [--env E]` for a deployment, through its admin API as the key
 * in EDGE_TOKEN_CLIENT_ID / EDGE_TOKEN_CLIENT_SECRET (holding application_keys, and for the
 * signing commands signing_keys). JSON goes to stdout for scripts (the audit trails: words,
 * unless --json); messages go to stderr.
 */
import { pathToFileURL } from "node:url";
import { parseArgs } from "node:util";
import type { NewKey } from "../store/registry-protocol.ts";
import { badArguments } from "./arguments.ts";
import { KEY_AUDIT_ACTIONS } from "./audit-text.ts";
import { clientCommand } from "./client-key-commands.ts";
import {
  auditTrail,
  createApplicationKey,
  deleteApplicationKey,
  listApplicationKeys,
  readableAuditTrail,
  targetScopes,
} from "./key-commands.ts";
import { newKeyOf } from "./new-key-flags.ts";
import { signing, UsageError } from "./rotation.ts";
import { durationSeconds, KEEP_OLD_USAGE, rotateSecret } from "./secret-commands.ts";

const USAGE = `usage: npm run keys -- create --name NAME [--scope "S …"] [--grant-types G,G] [--quota-per-hour N] [--quota-per-day N]
                                  [--implicit-quota-per-hour N] [--implicit-quota-per-day N]
                                  [--auth-method private_key_jwt --jwks FILE] [--dpop-bound]
       npm run keys -- list | delete ID | rotate-secret ID [--keep-old DURATION | --now]
                                  | audit [--key ID] [--action create|rename|update|rotate_secret|delete] [--json]
                                  [--remote [--env E] | --persist-to DIR] [--config wrangler.toml] [--verbose]
       npm run keys -- signing list | rotate [--now] [--alg EdDSA|ES256] | audit [--json]
                                  [--remote [--env E] | --persist-to DIR] [--config wrangler.toml] [--verbose]
       npm run keys -- rotate [--now] …   (short for signing rotate)
       npm run keys -- client-key NAME [--alg EdDSA|ES256|PS256] [--jwks FILE] [--private-key FILE]
       npm run keys -- client-assertion NAME --client-id ID --aud URL [--private-key FILE]
       npm run keys -- dpop-proof NAME --url URL [--method POST] [--access-token TOKEN] [--private-key FILE]`;

/** How many words each command takes after its name. */
const ARGUMENTS: Record<string, number> = {
  create: 0,
  list: 0,
  audit: 0,
  delete: 1,
  "rotate-secret": 1,
  signing: 1,
  rotate: 0,
  "client-key": 1,
  "client-assertion": 1,
  "dpop-proof": 1,
};

async function main(argv: string[]): Promise<number> {
  const { values, positionals } = parseArgs({
    args: joinValues(argv, ["--kid", "--keep-old"]),
    allowPositionals: true,
    options: {
      name: { type: "string" },
      scope: { type: "string" },
      "grant-types": { type: "string" },
      "quota-per-hour": { type: "string" },
      "quota-per-day": { type: "string" },
      "implicit-quota-per-hour": { type: "string" },
      "implicit-quota-per-day": { type: "string" },
      key: { type: "string" },
      action: { type: "string" },
      json: { type: "boolean", default: false },
      "keep-old": { type: "string" },
      verbose: { type: "boolean", default: false },
      "auth-method": { type: "string" },
      jwks: { type: "string" },
      "dpop-bound": { type: "boolean", default: false },
      config: { type: "string" },
      remote: { type: "boolean", default: false },
      env: { type: "string" },
      "persist-to": { type: "string" },
      help: { type: "boolean", short: "h", default: false },
      alg: { type: "string" },
      now: { type: "boolean", default: false },
      // What rotation took before the registry held the keys: refused with what to do instead.
      activate: { type: "boolean", default: false },
      "keys-file": { type: "string" },
      out: { type: "string" },
      kid: { type: "string" },
      "private-key": { type: "string" },
      "client-id": { type: "string" },
      aud: { type: "string" },
      url: { type: "string" },
      method: { type: "string" },
      "access-token": { type: "string" },
    },
  });
  if (values.env !== undefined && !values.remote) return fail("--env needs --remote");
  if (values["persist-to"] !== undefined && values.remote) return fail("--persist-to is for the local state only");
  const target = {
    remote: values.remote,
    env: values.env,
    persistTo: values["persist-to"],
    verbose: values.verbose,
    config: values.config,
  };
  // `rotate [--now]` alone is short for `signing rotate [--now]`: the one rotation an operator reaches for in a hurry.
  const [command, arg] = positionals[0] === "rotate" ? ["signing", "rotate"] : positionals;
  if (values.help || command === undefined) return usage(0);
  // A word too many is refused, never ignored: `rotate-secret ID now` is not `--now`. The word is not echoed (it may be a pasted secret).
  const takes = ARGUMENTS[positionals[0]!];
  if (takes !== undefined && positionals.length - 1 > takes) {
    return fail(`${positionals[0]} takes ${takes === 0 ? "no argument" : "one argument"} besides its options, and options start with --`);
  }

  switch (command) {
    case "create": {
      let attributes: NewKey;
      try {
        attributes = await newKeyOf(values, () => targetScopes(target));
      } catch (error) {
        return usageFailure(error);
      }
      const created = await createApplicationKey(attributes, target);
      print(created);
      // On stderr, so that `> key.json` keeps the JSON alone and the warning still reaches the terminal.
      if (created.client_secret !== undefined) {
        console.error(
          "keys: the client_secret above is shown once: store it now; it cannot be read again (a lost one is replaced with npm run keys -- rotate-secret ID).",
        );
      }
      return 0;
    }
    case "list":
      return print(await listApplicationKeys(target));
    case "audit": {
      const action = values.action;
      if (action !== undefined && !KEY_AUDIT_ACTIONS.includes(action))
        return fail(`--action must be one of ${KEY_AUDIT_ACTIONS.join(", ")}`);
      if (values.json) return print(await auditTrail(values.key, action, target));
      return lines(await readableAuditTrail(values.key, action, target), "the audit trail has no entries");
    }
    case "delete": {
      if (arg === undefined) return fail("delete needs the id of the key");
      if (!(await deleteApplicationKey(arg, target))) {
        console.error(`keys: there is no application key with id ${arg}`);
        return 1;
      }
      return print({ deleted: arg });
    }
    case "rotate-secret": {
      if (arg === undefined) return fail("rotate-secret needs the id of the key");
      if (values.now && values["keep-old"] !== undefined) return fail("rotate-secret takes --keep-old DURATION or --now, not both");
      const keepOld = values.now ? 0 : values["keep-old"] === undefined ? undefined : durationSeconds(values["keep-old"]);
      if (keepOld === undefined && values["keep-old"] !== undefined) return fail(KEEP_OLD_USAGE);
      const rotated = await rotateSecret(arg, keepOld, target);
      if (!rotated) {
        console.error(`keys: there is no application key with id ${arg}`);
        return 1;
      }
      print(rotated.value);
      // On stderr, as create's: `> secret.json` keeps the JSON alone and the warning still reaches the terminal.
      for (const m of rotated.messages) console.error(m);
      return 0;
    }
    case "signing": {
      if (values.activate || values["keys-file"] !== undefined || values.out !== undefined || values.kid !== undefined || arg === "drop") {
        return fail(
          "the signing keys live in the registry now (docs/rotation.md): `signing rotate` publishes a next key that the schedule activates and retires the old one after, `signing rotate --now` is the emergency rotation; --activate, drop, --kid, --keys-file and --out are gone",
        );
      }
      if (values.alg !== undefined && values.alg !== "EdDSA" && values.alg !== "ES256") return fail("--alg must be EdDSA or ES256");
      if ((values.now || values.alg !== undefined) && arg !== "rotate") return fail("--now and --alg go with signing rotate");
      try {
        const { value, lines: text, message } = await signing(arg, { now: values.now, alg: values.alg, json: values.json, target });
        if (text) return lines(text, "the rotation audit trail has no entries");
        process.stdout.write(`${JSON.stringify(value)}\n`);
        console.error(`keys: ${message}`);
        return 0;
      } catch (error) {
        return usageFailure(error);
      }
    }
    case "client-key":
    case "client-assertion":
    case "dpop-proof":
      try {
        return await clientCommand(command, arg, values);
      } catch (error) {
        return usageFailure(error);
      }
    default:
      return fail(`unknown command: ${command}`);
  }
}

/**
 * A kid is a base64url thumbprint and starts with "-" one time in 64; parseArgs would read
 * `--kid -Abc` as a missing value. These options always take the next word as their value (so
 * `--keep-old -1h` is a duration refused as one, not an unknown option).
 */
function joinValues(argv: string[], options: string[]): string[] {
  const out: string[] = [];
  for (let i = 0; i < argv.length; i++) {
    const a = argv[i]!;
    if (options.includes(a) && i + 1 < argv.length) out.push(`${a}=${argv[++i]}`);
    else out.push(a);
  }
  return out;
}

/** Lines of text for people (an audit trail in words); when there are none, says so on stderr. */
function lines(text: string[], empty: string): number {
  if (text.length === 0) console.error(`keys: ${empty}`);
  else process.stdout.write(`${text.join("\n")}\n`);
  return 0;
}

function print(value: unknown): number {
  process.stdout.write(`${JSON.stringify(value)}\n`);
  return 0;
}

function usage(code: number): number {
  (code === 0 ? console.log : console.error)(USAGE);
  return code;
}

function fail(message: string): number {
  console.error(`keys: ${message}\n${USAGE}`);
  return 2;
}

/** A command's flags found wrong where it reads them (a UsageError) fail as a usage; any other error is thrown on. */
function usageFailure(error: unknown): number {
  if (error instanceof UsageError) return fail(error.message);
  throw error;
}

/** One command, as `npm run keys -- …` runs it: its exit code; JSON on stdout, messages on stderr. */
export async function run(argv: string[]): Promise<number> {
  try {
    return await main(argv);
  } catch (error) {
    const bad = badArguments(error);
    if (bad !== undefined) return fail(bad);
    console.error(`keys: ${error instanceof Error ? error.message : String(error)}`);
    return 1;
  }
}

// Run as a script (npm run keys); imported, it only exports `run`.
if (process.argv[1] !== undefined && import.meta.url === pathToFileURL(process.argv[1]).href) {
  process.exit(await run(process.argv.slice(2)));
}
