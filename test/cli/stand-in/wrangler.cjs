// Records every call and answers as wrangler 4 does, with its state in $STANDIN_DIR.
// $STANDIN_FAIL=kv-create makes namespace creation fail as an API error does.
// $STANDIN_DEPLOYED: the URL of the stand-in deployment (deployed.ts), whose KV `kv key list` reads.
const { appendFileSync, existsSync, readFileSync, writeFileSync } = require("node:fs");
const { join } = require("node:path");

const dir = process.env.STANDIN_DIR;
const args = process.argv.slice(2);
const file = join(dir, "state.json");
const state = existsSync(file) ? JSON.parse(readFileSync(file, "utf8")) : { secrets: {}, kv: {} };
appendFileSync(join(dir, "calls.jsonl"), `${JSON.stringify(args)}\n`);
const flag = (name) => (args.includes(name) ? args[args.indexOf(name) + 1] : undefined);
const [a, b, c] = args;
const done = (out) => {
  writeFileSync(file, JSON.stringify(state));
  if (out !== undefined) process.stdout.write(`${out}\n`);
};

if (a === "kv" && b === "namespace" && c === "create") {
  if (process.env.STANDIN_FAIL === "kv-create") {
    process.stderr.write(
      "✘ [ERROR] A request to the Cloudflare API (/accounts/x/storage/kv/namespaces) failed.\n  Authentication error [code: 10000]\n",
    );
    process.exit(1);
  }
  const binding = flag("--binding");
  const id = (binding === "CLIENTS" ? "c" : "d").repeat(32);
  done(
    `🌀 Creating namespace with title "${args[3]}"\n✨ Success!\nTo access your new KV Namespace in your Worker, add the following snippet to your configuration file:\n[[kv_namespaces]]\nbinding = "${binding}"\nid = "${id}"`,
  );
} else if (a === "deploy") {
  state.deploys = (state.deploys ?? 0) + 1;
  done(
    "Total Upload: 120.45 KiB / gzip: 30.12 KiB\nUploaded edge-token (1.20 sec)\nDeployed edge-token triggers (0.40 sec)\n  https://edge-token.example.workers.dev",
  );
} else if (a === "secret" && b === "list" && !state.deploys) {
  // As wrangler answers for a Worker that was never deployed.
  process.stderr.write("✘ [ERROR] This Worker does not exist on your account. [code: 10007]\n");
  process.exit(1);
} else if (a === "secret" && b === "list") {
  done(JSON.stringify(Object.keys(state.secrets).map((name) => ({ name, type: "secret_text" }))));
} else if (a === "secret" && b === "put") {
  const value = readFileSync(0, "utf8");
  // What a signing key set looked like, never the value: the test checks a private key arrived.
  // A bootstrap hash and a KEK are kept as they are: the stand-in deployment runs with them.
  let shape = value;
  if (c === "SIGNING_KEYS") {
    shape = "not a JWK set";
    try {
      const keys = JSON.parse(value).keys;
      shape = `${keys.length} key(s), private: ${keys.every((k) => typeof k.d === "string")}`;
    } catch {}
  }
  state.secrets[c] = shape;
  done(`✨ Success! Uploaded secret ${c}`);
} else if (a === "secret" && b === "delete") {
  delete state.secrets[c];
  done(`✨ Success! Deleted secret ${c}`);
} else if (a === "kv" && b === "key" && args[2] === "list" && process.env.STANDIN_DEPLOYED) {
  const url = `${process.env.STANDIN_DEPLOYED}/__standin/kv?binding=${flag("--binding")}&prefix=${encodeURIComponent(flag("--prefix") ?? "")}`;
  fetch(url)
    .then((r) => r.text())
    .then((text) => done(text));
} else if (a === "kv" && b === "key") {
  state.kv[flag("--binding")] ??= {};
  const ns = state.kv[flag("--binding")];
  if (c === "list") {
    const prefix = flag("--prefix") ?? "";
    done(
      JSON.stringify(
        Object.keys(ns)
          .filter((k) => k.startsWith(prefix))
          .sort()
          .map((name) => ({ name, ...(ns[name].metadata ? { metadata: ns[name].metadata } : {}) })),
      ),
    );
  } else if (c === "put") {
    const metadata = flag("--metadata");
    ns[args[3]] = { value: args[4], ...(metadata ? { metadata: JSON.parse(metadata) } : {}) };
    done("");
  } else if (c === "delete") {
    delete ns[args[3]];
    done("");
  }
} else if (a === "kv" && b === "bulk" && c === "get") {
  const ns = state.kv[flag("--binding")] ?? {};
  const keys = JSON.parse(readFileSync(args[3], "utf8"));
  done(JSON.stringify(Object.fromEntries(keys.map((k) => [k, { value: ns[k]?.value ?? null }]))));
} else {
  process.stderr.write(`stand-in wrangler: no answer for ${args.join(" ")}\n`);
  process.exit(3);
}
