import { cloudflareTest } from "@cloudflare/vitest-plugin";
import { calculateJwkThumbprint, exportJWK, generateKeyPair } from "jose";
import { defineConfig } from "vitest/config";

// A signing key made for this run only: no private key is committed for tests.
async function testSigningKeys(): Promise<string> {
  const { privateKey } = await generateKeyPair("Ed25519", { extractable: true });
  const jwk = await exportJWK(privateKey);
  const kid = await calculateJwkThumbprint({ kty: jwk.kty!, crv: jwk.crv!, x: jwk.x! });
  return JSON.stringify({ keys: [{ ...jwk, kid, alg: "EdDSA", use: "sig" }] });
}

export default defineConfig(async () => ({
  plugins: [
    cloudflareTest({
      wrangler: { configPath: "./wrangler.toml" },
      miniflare: {
        bindings: { SIGNING_KEYS: await testSigningKeys(), ISSUER: "https://auth.example" },
      },
    }),
  ],
  test: {
    include: ["test/**/*.test.ts"],
  },
}));
