import { existsSync } from "node:fs";
import { homedir } from "node:os";
import { join } from "node:path";

/**
 * How the CLI knows that `npm start` serves a local state directory: wrangler's dev registry
 * lists the Worker, and npm start keeps this file (its pid) in the state directory it serves
 * while it runs.
 */
export const SESSION_FILE_NAME = "edge-token-dev-session.json";

/** wrangler's dev registry directory, as wrangler finds it (WRANGLER_REGISTRY_PATH, else its global config). */
export function wranglerRegistryPath(): string {
  if (process.env.WRANGLER_REGISTRY_PATH) return process.env.WRANGLER_REGISTRY_PATH;
  const legacy = join(homedir(), ".wrangler");
  if (existsSync(legacy)) return join(legacy, "registry");
  return join(process.env.XDG_CONFIG_HOME || join(homedir(), ".config"), ".wrangler", "registry");
}
