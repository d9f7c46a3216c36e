// The test Worker's bindings beyond edge-token's own (generated into src/worker-configuration.d.ts).
declare namespace Cloudflare {
  interface Env {
    /** test/fixtures/consumer, a separate Worker bound to edge-token */
    CONSUMER: Fetcher;
    /** edge-token running as its own Worker, as the consumer sees it */
    EDGE_TOKEN: Fetcher;
    /** edge-token's TokenVerifier entrypoint, as the RPC recipe binds it */
    AUTH: Service<import("edge-token/rpc").TokenVerifier>;
    /** RSA private JWKs by name (bits2048, bits4096, bits2047, bits4097, e3, eLarge): vitest.config.ts */
    TEST_RSA_KEYS: string;
  }
}

// Vite's ?raw: a file's text (the recipes test compares them with the docs).
declare module "*?raw" {
  const text: string;
  export default text;
}

// The storefront recipe is plain browser JavaScript (test/fixtures/recipes/storefront.js).
declare module "*/recipes/storefront.js" {
  export function dpopKey(): Promise<CryptoKeyPair>;
  export function implicitToken(issuer: string, clientId: string, keys: CryptoKeyPair): Promise<string>;
  export function getFromApi(url: string, accessToken: string, keys: CryptoKeyPair): Promise<Response>;
}
