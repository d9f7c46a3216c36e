import { existsSync } from "node:fs";
import { type Browser, chromium } from "playwright-core";
import { unstable_readConfig } from "wrangler";
import { bundle, EDGE_TOKEN_OBJECTS, newSigningKeys, RUN_KEK } from "../bench/workers.ts";

/**
 * What the browser runs share: headless Chromium (Debian's package, /usr/bin/chromium, or
 * CHROMIUM_PATH), and edge-token as a Miniflare worker listening on a port of its own, with
 * wrangler.toml's vars, KV, Durable Objects and rate limits.
 */
export const CHROMIUM = process.env.CHROMIUM_PATH ?? "/usr/bin/chromium";

/** Whether a Chromium is there; says so, for `label`, when it is not (the run is skipped, not failed). */
export function haveChromium(label: string): boolean {
  if (existsSync(CHROMIUM)) return true;
  console.log(`${label}: skipped, no Chromium at ${CHROMIUM} (apt-get install chromium, or set CHROMIUM_PATH)`);
  return false;
}

export function launchChromium(): Promise<Browser> {
  return chromium.launch({
    executablePath: CHROMIUM,
    args: [
      "--no-sandbox",
      "--disable-gpu",
      "--disable-quic",
      "--no-first-run",
      "--disable-background-networking",
      "--disable-component-update",
      "--disable-sync",
    ],
  });
}

/** Miniflare's options for edge-token on 127.0.0.1:`port`, its ISSUER that origin; `script` names its bundle. */
export async function edgeTokenOnPort(port: number, script: string): Promise<Record<string, unknown>> {
  const service = unstable_readConfig({ config: "wrangler.toml" });
  return {
    name: "edge-token",
    modules: true,
    compatibilityDate: service.compatibility_date!,
    unsafeDirectSockets: [{ host: "127.0.0.1", port }],
    scriptPath: bundle("src/index.ts", script),
    kvNamespaces: Object.fromEntries(service.kv_namespaces.map((n: { binding: string; id?: string }) => [n.binding, n.id!])),
    durableObjects: EDGE_TOKEN_OBJECTS,
    ratelimits: Object.fromEntries(
      service.ratelimits.map((r: { name: string; namespace_id: string; simple: unknown }) => [
        r.name,
        { namespace_id: r.namespace_id, simple: r.simple },
      ]),
    ),
    bindings: {
      ...(service.vars as Record<string, string>),
      SIGNING_KEYS: await newSigningKeys(),
      SIGNING_KEY_KEK: RUN_KEK,
      ISSUER: `http://127.0.0.1:${port}`,
    },
  };
}
