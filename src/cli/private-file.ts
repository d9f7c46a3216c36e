import { chmod, writeFile } from "node:fs/promises";

/**
 * Writes a file only its owner can read: private signing keys, client secrets. `mode` applies
 * only when a file is created, so an existing file is re-permissioned too.
 */
export async function writePrivateFile(path: string, content: string): Promise<void> {
  await writeFile(path, content, { mode: 0o600 });
  await chmod(path, 0o600);
}
