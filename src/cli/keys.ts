/**
 * `npm run keys -- <command>`: manage application keys (client credentials).
 *
 *   create --name NAME     create a client; prints {"id","client_id","client_secret","name"}
 *   signing rotate [--alg EdDSA|ES256] [--activate] [--keys-file F]
 *   signing drop KID [--keys-file F]
 *                          signing-key rotation; prints the new SIGNING_KEYS value. Locally it
 *                          also updates .dev.vars; with --keys-file (- for stdin) it only prints.
 *
 * Local KV (what `npm start` serves) by default; `--remote [--env E]` for a deployed namespace.
 * Output on stdout is JSON for scripts; messages go to stderr.
 */
import { parseArgs } from "node:util";
import { createClient } from "./clients.ts";
import { signing } from "./signing.ts";

const USAGE = `usage: npm run keys -- create --name NAME [--remote [--env E]]
       npm run keys -- signing rotate [--alg EdDSA|ES256] [--activate] [--keys-file F]
       npm run keys -- signing drop KID [--keys-file F]`;

async function main(argv: string[]): Promise<number> {
  const { values, positionals } = parseArgs({
    args: argv,
    allowPositionals: true,
    options: {
      name: { type: "string" },
      remote: { type: "boolean", default: false },
      env: { type: "string" },
      help: { type: "boolean", short: "h", default: false },
      alg: { type: "string", default: "EdDSA" },
      activate: { type: "boolean", default: false },
      "keys-file": { type: "string" },
    },
  });
  const target = { remote: values.remote, env: values.env };
  if (values.env !== undefined && !values.remote) return fail("--env needs --remote");
  const [command] = positionals;
  if (values.help || command === undefined) return usage(0);

  switch (command) {
    case "create": {
      const name = values.name?.trim();
      if (!name || name.length > 255) return fail("create needs --name with 1 to 255 characters");
      const client = await createClient(name, target);
      process.stdout.write(JSON.stringify(client) + "\n");
      return 0;
    }
    case "signing": {
      if (values.alg !== "EdDSA" && values.alg !== "ES256") return fail("--alg must be EdDSA or ES256");
      const { value, message } = await signing(positionals[1], {
        alg: values.alg,
        activate: values.activate,
        keysFile: values["keys-file"],
        kid: positionals[2],
      });
      process.stdout.write(value + "\n");
      console.error(`keys: ${message}`);
      return 0;
    }
    default:
      return fail(`unknown command: ${command}`);
  }
}

function usage(code: number): number {
  (code === 0 ? console.log : console.error)(USAGE);
  return code;
}

function fail(message: string): number {
  console.error(`keys: ${message}\n${USAGE}`);
  return 2;
}

main(process.argv.slice(2)).then(
  (code) => process.exit(code),
  (error: unknown) => {
    console.error(`keys: ${error instanceof Error ? error.message : String(error)}`);
    process.exit(1);
  },
);
