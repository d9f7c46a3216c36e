import { existsSync } from "node:fs";
import { readFile } from "node:fs/promises";
import { join, resolve } from "node:path";
import { writePrivateFile } from "./private-file.ts";
import { ROOT } from "./wrangler.ts";

/**
 * The local demo client `npm start` makes once and prints at every start: kept in the state it
 * serves (0600), so wiping the state wipes it.
 */
export const demoClientFile = (persistTo: string | undefined): string =>
  join(resolve(persistTo ?? join(ROOT, ".wrangler/state")), "edge-token-demo-client.json");

/**
 * After `rotate-secret` on the demo client, the saved file holds its new secret: npm start
 * would otherwise go on printing one that stops working when its overlap ends. True when the
 * rotated key was the demo client.
 */
export async function rememberDemoSecret(persistTo: string | undefined, id: string, clientSecret: string): Promise<boolean> {
  const file = demoClientFile(persistTo);
  if (!existsSync(file)) return false;
  const demo = JSON.parse(await readFile(file, "utf8")) as { id?: string; client_secret?: string };
  if (demo.id !== id) return false;
  await writePrivateFile(file, JSON.stringify({ ...demo, client_secret: clientSecret }, null, 2));
  return true;
}
