import type { RotationResult, SigningKeyView } from "../store/registry-protocol.ts";
import { signingAuditLines } from "./audit-text.ts";
import { openKeyAdmin, type Target } from "./key-admin.ts";
import { listedNames } from "./key-commands.ts";

/**
 * `npm run keys -- signing …`: the signing keys the registry holds (docs/rotation.md), locally
 * or (`--remote`) through a deployment's admin API as a key holding signing_keys.
 *
 *   signing list                 every key, newest first, with its state and times
 *   signing rotate [--alg A]     a next key now; the schedule makes it active an hour later
 *   signing rotate --now         emergency: a new key signs at once; every other key leaves the
 *                                JWKS and every token it signed is revoked
 *   signing audit [--json]       every rotation step, oldest first: a line each in words, or JSON
 *
 * Each returns what goes to stdout (JSON, or `lines` of text) and a line for stderr.
 */
export async function signing(
  command: string | undefined,
  o: { now: boolean; alg: "EdDSA" | "ES256" | undefined; json?: boolean; target: Target },
): Promise<{ value: unknown; lines?: string[]; message: string }> {
  const admin = await openKeyAdmin(o.target);
  try {
    switch (command) {
      case "list": {
        const { keys, kek_matches } = await admin.signingKeys();
        const warning =
          kek_matches === false
            ? "; SIGNING_KEY_KEK does not open them: nothing can be signed until the KEK that sealed them is back, or `signing rotate --now` starts a new key set"
            : "";
        return { value: keys, message: `${summary(keys)}${warning}` };
      }
      case "rotate": {
        const result = await admin.rotateSigningKeys({ emergency: o.now, ...(o.alg ? { alg: o.alg } : {}) });
        return { value: result, message: rotated(result, o.now) };
      }
      case "audit": {
        const events = await admin.signingKeyEvents();
        const message = "the rotation audit trail, oldest first";
        if (o.json) return { value: events, message };
        return { value: events, lines: signingAuditLines(events, await listedNames(admin)), message };
      }
      default:
        throw new UsageError("signing needs list, rotate [--now] [--alg EdDSA|ES256] or audit");
    }
  } finally {
    await admin.close();
  }
}

/** A mistake in the command line: exit code 2, as for the other commands. */
export class UsageError extends Error {
  override name = "UsageError";
}

function summary(keys: SigningKeyView[]): string {
  const published = keys.filter((k) => k.state !== "retired");
  return published.map((k) => `${k.kid} ${k.state}`).join(", ") || "no signing keys yet (the first request makes one)";
}

function rotated(result: RotationResult, emergency: boolean): string {
  if (emergency) {
    const active = result.changes.find((c) => c.action === "create")?.kid;
    const revoked = result.changes.filter((c) => c.action === "revoke").map((c) => c.kid);
    return `key ${active} signs now; ${revoked.join(", ") || "no key"} left the JWKS and every token they signed is revoked (refused everywhere within the revocation window, docs/security.md)`;
  }
  const next = result.keys.find((k) => k.state === "next");
  if (!next) return "nothing to rotate";
  const made = result.changes.some((c) => c.action === "publish" && c.kid === next.kid);
  return `key ${next.kid} is ${made ? "published" : "already published"} as next; the schedule makes it active from ${next.activate_at}`;
}
