import { expect, vi } from "vitest";
import { run } from "../../src/cli/keys.ts";

/**
 * `npm run keys -- …` in this process, through the CLI's own entry (`run`, what the script
 * calls): its exit code, stdout and stderr, with `env` set for the command only. For the Node
 * suites; spawning the script is tested once, in test/cli/keys.test.ts.
 */
export async function keysCommand(
  args: string[],
  env: Record<string, string> = {},
): Promise<{ code: number; stdout: string; stderr: string }> {
  const out: string[] = [];
  const err: string[] = [];
  const saved = Object.fromEntries(Object.keys(env).map((k) => [k, process.env[k]]));
  Object.assign(process.env, env);
  const write = vi.spyOn(process.stdout, "write").mockImplementation((chunk) => out.push(String(chunk)) > 0);
  const log = vi.spyOn(console, "log").mockImplementation((...a) => void out.push(`${a.join(" ")}\n`));
  const error = vi.spyOn(console, "error").mockImplementation((...a) => void err.push(`${a.join(" ")}\n`));
  try {
    const code = await run(args);
    return { code, stdout: out.join(""), stderr: err.join("") };
  } finally {
    write.mockRestore();
    log.mockRestore();
    error.mockRestore();
    for (const [k, v] of Object.entries(saved)) {
      if (v === undefined) delete process.env[k];
      else process.env[k] = v;
    }
  }
}

/**
 * What `keys -- rotate-secret` prints on stdout (docs/cli.md), for a matcher: the key, its new
 * secret (43 base64url characters), and, unless `--now` ended the old secret, until when it works.
 */
export function rotatedSecret(key: { id: string; client_id?: string; name: string }, keepsOld: boolean): Record<string, unknown> {
  return {
    id: key.id,
    client_id: key.client_id ?? expect.stringMatching(/^[0-9a-f]{40}$/),
    name: key.name,
    client_secret: expect.stringMatching(/^[A-Za-z0-9_-]{43}$/),
    ...(keepsOld && { previous_secret_expires_at: expect.stringMatching(/^20\d\d-\d\d-\d\dT/) }),
  };
}
