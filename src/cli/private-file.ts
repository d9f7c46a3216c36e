import { randomBytes } from "node:crypto";
import { open, rename, unlink } from "node:fs/promises";
import { basename, dirname, join } from "node:path";

/**
 * Writes a file only its owner can read (private signing keys, client secrets), so that it is
 * never readable by anyone else, not even for a moment: a new file is created 0600 beside the
 * target (exclusively, so no existing file or symlink is opened), written, flushed, and renamed
 * over the target. A rename replaces a symlink rather than following it, so a link planted at
 * the path cannot redirect the secret elsewhere.
 */
export async function writePrivateFile(path: string, content: string): Promise<void> {
  const temporary = join(dirname(path), `.${basename(path)}.${randomBytes(6).toString("hex")}.tmp`);
  const file = await open(temporary, "wx", 0o600);
  try {
    await file.writeFile(content);
    await file.sync();
  } catch (error) {
    await file.close();
    await unlink(temporary).catch(() => {});
    throw error;
  }
  await file.close();
  try {
    await rename(temporary, path);
  } catch (error) {
    await unlink(temporary).catch(() => {});
    throw error;
  }
}
