import { DEFAULT_KEEP_OLD_SECRET_SECONDS, MAX_KEEP_OLD_SECRET_SECONDS } from "../lib/limits.ts";
import { rememberDemoSecret } from "./demo-client.ts";
import { openKeyAdmin, type Target } from "./key-admin.ts";

/**
 * `npm run keys -- rotate-secret ID [--keep-old DURATION | --now]`: a new secret for a key, as
 * POST /v2/application-keys/:id/secret makes one (docs/api.md), locally or (`--remote`) through
 * a deployment's admin API. The old secret authenticates beside the new one for DURATION (a day
 * unless given); `--now` (a leaked secret) ends it at once and revokes every token the key holds.
 */

/** A duration as the command line writes it (90s, 10m, 24h, 7d) in seconds; undefined for anything else, or past the most. */
export function durationSeconds(text: string): number | undefined {
  const m = /^(\d{1,7})([smhd])$/.exec(text);
  if (!m) return undefined;
  const seconds = Number(m[1]) * { s: 1, m: 60, h: 3600, d: 86_400 }[m[2] as "s" | "m" | "h" | "d"];
  return seconds <= MAX_KEEP_OLD_SECRET_SECONDS ? seconds : undefined;
}

export const KEEP_OLD_USAGE = `--keep-old must be a duration such as 90s, 10m, 24h or 7d, at most ${MAX_KEEP_OLD_SECRET_SECONDS / 86_400}d`;

/**
 * Rotates the key's secret: what goes to stdout (the key's id, client_id and name, the new
 * secret, until when the old one lives) and the lines for stderr (the audit line, as the admin
 * API logs one, and the word that the secret is shown once); false when there is no such key.
 */
export async function rotateSecret(
  id: string,
  keepOldSeconds: number = DEFAULT_KEEP_OLD_SECRET_SECONDS,
  target: Target,
): Promise<{ value: Record<string, string>; messages: string[] } | false> {
  const admin = await openKeyAdmin(target);
  try {
    const rotated = await admin.rotateSecret(id, keepOldSeconds);
    if (rotated === false) return false;
    const { audit, ...value } = rotated;
    const demo = !target.remote && (await rememberDemoSecret(target.persistTo, value.id, value.client_secret));
    const old =
      value.previous_secret_expires_at === undefined
        ? "the old secret stopped working at once, and every token the key held is revoked"
        : `the old secret works until ${value.previous_secret_expires_at}: give every client the new one before then`;
    return {
      value,
      messages: [
        JSON.stringify({ level: "info", audit }),
        `keys: the client_secret above is shown once: store it now; it cannot be read again. ${old[0]!.toUpperCase()}${old.slice(1)}.`,
        ...(demo ? ["keys: this is npm start's demo client: its saved file now holds the new secret, which npm start prints."] : []),
      ],
    };
  } finally {
    await admin.close();
  }
}
