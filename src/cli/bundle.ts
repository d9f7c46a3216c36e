import { mkdir } from "node:fs/promises";
import { join } from "node:path";
import { build } from "esbuild";
import { ROOT } from "./wrangler.ts";

/** The Worker as one ES module, as wrangler bundles it (Markdown as text), for the CLI's own workerd. */
export async function bundleWorker(entry: string): Promise<string> {
  const dir = join(ROOT, ".wrangler", "tmp", "keys-cli");
  await mkdir(dir, { recursive: true });
  const outfile = join(dir, "edge-token.mjs");
  await build({
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
