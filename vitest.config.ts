import { generateKeyPairSync, generatePrimeSync } from "node:crypto";
import { cloudflareTest } from "@cloudflare/vitest-plugin";
import { buildSync } from "esbuild";
import { calculateJwkThumbprint, exportJWK, generateKeyPair } from "jose";
import { defineConfig } from "vitest/config";
import { unstable_readConfig } from "wrangler";

const ISSUER = "https://auth.example";
// Resource indicators (RFC 8707) the tests request tokens for; the fixture consumer's orders API is one.
const RESOURCES = "https://orders.example https://reports.example";
const BUILD = "test/fixtures/.build";
// The recipes import the package by its name, as a consumer does; here that name is the sources
// (package.json's exports name dist/, which only npm pack builds).
const SELF = { "edge-token/verify": "/src/verify.ts", "edge-token/rpc": "/src/rpc-contract.ts" };
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
  "test/security/faults.test.ts",
  "test/security/kv-authority.test.ts",
  "test/security/permissions.test.ts",
  "test/security/registry.test.ts",
  "test/security/signing-key-locations.test.ts",
  "test/security/signing-key-rotation.test.ts",
  "test/security/stale-reads.test.ts",
  "test/security/status-lists.test.ts",
  "test/security/status-registry.test.ts",
  "test/security/status-regions.test.ts",
  "test/verifiers/foreign-jwks-cache.test.ts",
];

// A signing key made for this run only: no private key is committed for tests.
async function testSigningKeys(): Promise<string> {
  const { privateKey } = await generateKeyPair("Ed25519", { extractable: true });
  const jwk = await exportJWK(privateKey);
  const kid = await calculateJwkThumbprint({ kty: jwk.kty!, crv: jwk.crv!, x: jwk.x! });
  return JSON.stringify({ keys: [{ ...jwk, kid, alg: "EdDSA", use: "sig" }] });
}

/**
 * RSA keys a stranger could put in a DPoP proof or a key set, made here because workerd makes
 * only moduli of a multiple of 8 bits and exponents 3 or 65537 (it imports others): private
 * JWKs by name, made once per run.
 */
let rsaKeys: string | undefined;
function testRsaKeys(): string {
  const make = (modulusLength: number, publicExponent = 65537) =>
    generateKeyPairSync("rsa", { modulusLength, publicExponent }).privateKey.export({ format: "jwk" });
  rsaKeys ??= JSON.stringify({
    bits2048: make(2048),
    bits4096: make(4096),
    bits2047: make(2047),
    bits4097: rsaOfBits(4097),
    e3: make(2048, 3),
    eLarge: make(2048, 0x7fffffff),
  });
  return rsaKeys;
}

/**
 * An RSA private JWK whose modulus has exactly `bits` bits and e = 65537, from two primes made
 * here: OpenSSL rounds an odd modulus length above 4096 down to an even one.
 */
function rsaOfBits(bits: number): Record<string, string> {
  const e = 65537n;
  const b64 = (x: bigint) =>
    Buffer.from(x.toString(16).padStart(Math.ceil(x.toString(16).length / 2) * 2, "0"), "hex").toString("base64url");
  const inverse = (a: bigint, m: bigint) => {
    let [r0, r1, s0, s1] = [a % m, m, 1n, 0n];
    while (r1 !== 0n) {
      const q = r0 / r1;
      [r0, r1, s0, s1] = [r1, r0 - q * r1, s1, s0 - q * s1];
    }
    return ((s0 % m) + m) % m;
  };
  const gcd = (a: bigint, b: bigint): bigint => (b === 0n ? a : gcd(b, a % b));
  for (;;) {
    const p = generatePrimeSync(Math.ceil(bits / 2), { bigint: true });
    const q = generatePrimeSync(Math.floor(bits / 2), { bigint: true });
    const n = p * q;
    const phi = ((p - 1n) * (q - 1n)) / gcd(p - 1n, q - 1n);
    if (n.toString(2).length !== bits || gcd(e, phi) !== 1n) continue;
    const d = inverse(e, phi);
    return {
      kty: "RSA",
      n: b64(n),
      e: b64(e),
      d: b64(d),
      p: b64(p),
      q: b64(q),
      dp: b64(d % (p - 1n)),
      dq: b64(d % (q - 1n)),
      qi: b64(inverse(q, p)),
    };
  }
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
    alias: Object.fromEntries(Object.entries(SELF).map(([name, path]) => [name, `.${path}`])),
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
            TEST_RSA_KEYS: testRsaKeys(),
            ALLOW_REQUEST_ORIGIN_ISSUER: "false",
            BOOTSTRAP_SECRET_HASH: "",
          },
          serviceBindings: { CONSUMER: "consumer", EDGE_TOKEN: COPY, AUTH: { name: COPY, entrypoint: "TokenVerifier" } },
          workers: [
            // edge-token once more, under its own name, so that the consumer's config binds it
            // exactly as it would in production. Same keys, settings and KV namespaces.
            {
              name: COPY,
              modules: true,
              scriptPath: bundle("test/support/second-location.ts", "edge-token"),
              compatibilityDate: service.compatibility_date,
              kvNamespaces: kv(service),
              // The same registry, ledgers and status objects as the Worker under test: one set per deployment.
              durableObjects: {
                REGISTRY: { className: "Registry", scriptName: runnerOf(name) },
                CLIENT_LEDGER: { className: "ClientLedger", scriptName: runnerOf(name) },
                STATUS_REGIONS: { className: "StatusRegion", scriptName: runnerOf(name) },
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
    resolve: { alias: SELF },
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
        resolve: { alias: SELF },
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
