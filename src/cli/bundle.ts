import { mkdir, rename, writeFile } from "node:fs/promises";
import { join } from "node:path";
import { build } from "esbuild";
import { ROOT } from "./wrangler.ts";

/**
 * The Worker as one ES module, as wrangler bundles it (Markdown as text), for the CLI's own
 * workerd. Written beside its place and renamed into it: two commands bundling at once in one
 * checkout (npm test runs several) never hand workerd a half-written file.
 */
export async function bundleWorker(entry: string): Promise<string> {
  const dir = join(ROOT, ".wrangler", "tmp", "keys-cli");
  await mkdir(dir, { recursive: true });
  const outfile = join(dir, "edge-token.mjs");
  const result = await build({
    entryPoints: [entry],
    outfile,
    write: false,
    bundle: true,
    format: "esm",
    platform: "neutral",
    external: ["cloudflare:*"],
    loader: { ".md": "text" },
    logLevel: "warning",
  });
  const partial = `${outfile}.${process.pid}.${Date.now()}.tmp`;
  await writeFile(partial, result.outputFiles[0]!.contents);
  await rename(partial, outfile);
  return outfile;
}
