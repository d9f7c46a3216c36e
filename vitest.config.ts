import { cloudflareTest } from "@cloudflare/vitest-plugin";
import { buildSync } from "esbuild";
import { calculateJwkThumbprint, exportJWK, generateKeyPair } from "jose";
import { defineConfig } from "vitest/config";
import { unstable_readConfig } from "wrangler";

const ISSUER = "https://auth.example";
// Resource indicators (RFC 8707) the tests request tokens for; the fixture consumer's orders API is one.
const RESOURCES = "https://orders.example https://reports.example";
const BUILD = "test/fixtures/.build";
const NO_CACHES = { CLIENT_CACHE_SECONDS: "0", REVOCATION_CACHE_SECONDS: "0" };
// The Worker under test is named edge-token too, and the plugin points every binding to that
// name back at the test runner itself. The separate copy therefore runs under another name,
// and the consumer's bindings to "edge-token" are pointed at it.
const COPY = "edge-token-copy";
// The Worker under test runs as the plugin's runner, under a name the plugin derives from the
// project's: the copy reaches the runner's Durable Objects through it.
const runnerOf = (project: string) => `vitest-plugin-runner-${project}`;

// Suites that look at the whole registry (every key listed, the first start's import of older
// records), move its clock, rotate its signing keys, or freeze documents every suite shares at
// the second location: they need storage and a second location of their own, so each of their
// files gets a fresh workerd.
const WHOLE_REGISTRY = [
  "test/api/application-keys-list.test.ts",
  "test/api/elasticpath-sdk.test.ts",
  "test/api/legacy-import.test.ts",
  "test/api/signing-keys.test.ts",
  "test/security/es256.test.ts",
  "test/security/permissions.test.ts",
  "test/security/registry.test.ts",
  "test/security/signing-key-locations.test.ts",
  "test/security/signing-key-rotation.test.ts",
  "test/security/stale-reads.test.ts",
  "test/security/status-lists.test.ts",
  "test/security/status-registry.test.ts",
];

// A signing key made for this run only: no private key is committed for tests.
async function testSigningKeys(): Promise<string> {
  const { privateKey } = await generateKeyPair("Ed25519", { extractable: true });
  const jwk = await exportJWK(privateKey);
  const kid = await calculateJwkThumbprint({ kty: jwk.kty!, crv: jwk.crv!, x: jwk.x! });
  return JSON.stringify({ keys: [{ ...jwk, kid, alg: "EdDSA", use: "sig" }] });
}

/** Workers beside the one under test must be plain JavaScript: bundle them from source. */
function bundle(entry: string, name: string): string {
  const outfile = `${BUILD}/${name}.mjs`;
  buildSync({
    entryPoints: [entry],
    outfile,
    bundle: true,
    format: "esm",
    platform: "neutral",
    external: ["cloudflare:*"],
    loader: { ".md": "text" },
    logLevel: "warning",
  });
  return outfile;
}

type Binding = { binding: string; id?: string; service?: string; entrypoint?: string };

/** A SIGNING_KEY_KEK made for this run only. */
const testKek = () => Buffer.from(crypto.getRandomValues(new Uint8Array(32))).toString("base64url");

async function workersProject(name: string, files: { include: string[]; exclude: string[]; isolate: boolean }) {
  const signingKeys = await testSigningKeys();
  const kek = testKek();
  const service = unstable_readConfig({ config: "wrangler.toml" });
  const consumer = unstable_readConfig({ config: "test/fixtures/consumer/wrangler.toml" });
  const kv = (c: typeof service) => Object.fromEntries(c.kv_namespaces.map((n: Binding) => [n.binding, n.id!]));

  return {
    plugins: [
      cloudflareTest({
        wrangler: { configPath: "./wrangler.toml" },
        miniflare: {
          // A developer's .dev.vars (npm start writes one) must not leak into the tests.
          // The registry imports SIGNING_KEYS on first use: tests sign crafted tokens with its key.
          bindings: {
            SIGNING_KEYS: signingKeys,
            SIGNING_KEY_KEK: kek,
            ISSUER,
            RESOURCES,
            ALLOW_REQUEST_ORIGIN_ISSUER: "false",
            BOOTSTRAP_SECRET_HASH: "",
          },
          serviceBindings: { CONSUMER: "consumer", EDGE_TOKEN: COPY },
          workers: [
            // edge-token once more, under its own name, so that the consumer's config binds it
            // exactly as it would in production. Same keys, settings and KV namespaces.
            {
              name: COPY,
              modules: true,
              scriptPath: bundle("test/support/second-location.ts", "edge-token"),
              compatibilityDate: service.compatibility_date,
              kvNamespaces: kv(service),
              // The same registry and ledgers as the Worker under test: one per deployment.
              durableObjects: {
                REGISTRY: { className: "Registry", scriptName: runnerOf(name) },
                CLIENT_LEDGER: { className: "ClientLedger", scriptName: runnerOf(name) },
              },
              // No isolate caches here: the tests write through the other copy and read through this one.
              bindings: {
                ...(service.vars as Record<string, string>),
                ...NO_CACHES,
                SIGNING_KEYS: signingKeys,
                SIGNING_KEY_KEK: kek,
                ISSUER,
                RESOURCES,
              },
            },
            {
              name: consumer.name!,
              modules: true,
              scriptPath: bundle("test/fixtures/consumer/index.ts", "consumer"),
              compatibilityDate: consumer.compatibility_date,
              kvNamespaces: kv(consumer),
              serviceBindings: Object.fromEntries(
                consumer.services!.map((s: Binding) => {
                  const name = s.service === service.name ? COPY : s.service!;
                  return [s.binding, s.entrypoint ? { name, entrypoint: s.entrypoint } : name];
                }),
              ),
              // Nor a key set held past a rotation: the lead time a next key has in production
              // (an hour) is seconds here, so the consumer asks for the JWKS every time.
              bindings: { ...(consumer.vars as Record<string, string>), ...NO_CACHES, JWKS_CACHE_SECONDS: "0", ISSUER },
            },
          ],
        },
      }),
    ],
    // setup.ts checks every response a test file received against the OpenAPI document.
    test: {
      name,
      ...files,
      setupFiles: ["test/support/setup.ts"],
      testTimeout: 60_000,
    },
  };
}

export default defineConfig(async () => ({
  test: {
    // Every request writes a log line; show console output only for failing tests.
    silent: "passed-only" as const,
    // Vitest's default is one worker less than the cores: on two cores, one file at a time. The
    // CLI suites mostly wait on the processes they start, so four files run side by side.
    maxWorkers: 4,
    projects: [
      // Test files share one workerd and module graph (each test's keys are its own): the Worker
      // is imported once, not once per file.
      await workersProject("workers", {
        include: ["test/**/*.test.ts"],
        exclude: ["test/cli/**", "test/node/**", ...WHOLE_REGISTRY],
        isolate: false,
      }),
      await workersProject("workers-own-storage", { include: WHOLE_REGISTRY, exclude: [], isolate: true }),
      // The CLI is Node code: its tests run on Node, against local KV in a temporary directory.
      // Its files share one module graph (wrangler and Miniflare are imported once per worker):
      // each restores what it changes (process.env, spies, kept registries) when it ends.
      {
        test: {
          name: "cli",
          isolate: false,
          include: ["test/cli/**/*.test.ts", "test/node/**/*.test.ts"],
          environment: "node",
          testTimeout: 60_000,
        },
      },
    ],
  },
}));
