import { AUDIT_WORDS_EXPORTS, AUDIT_WORDS_JS } from "../console/audit-words.ts";
import type { ApplicationKey } from "../store/application-keys.ts";
import type { AuditRecord, SigningKeyEvent } from "../store/registry-protocol.ts";

/**
 * `npm run keys -- audit` and `signing audit` as people read them: the console's own words for
 * an audit trail (src/console/audit-words.ts, the same text the console's script runs), one line
 * per entry, with the ids beside the names to copy. Names are printed as that text writes them:
 * quoted, their control and bidi characters written out (\u001B, \u202E), so a key's name can
 * neither rewrite the terminal's line nor pass for "command line".
 */

/** The keys listed now, by client_id and by id; `complete`: the list was read whole. */
export interface AuditNames {
  clients: Record<string, string>;
  keys: Record<string, string>;
  complete: boolean;
}

interface EntryWords {
  at: string;
  /** named: text is a key's name; then: the name the entry kept, where the key has been renamed since. */
  subject: { text: string; id: string; named: boolean; then?: string };
  action: string;
  /** named: text is a key's name; collides: that name reads as the trail's own words or another key's. */
  actor: { text: string; client_id?: string; named: boolean; collides?: boolean };
  /** Each change as its words and, a name, as { name }. */
  changes: (string | { name: string })[][];
}

interface AuditWords {
  KEY_ACTIONS: Record<string, string>;
  auditKeyEntry(entry: AuditRecord, names: AuditNames): EntryWords;
  auditSigningEntry(event: SigningKeyEvent, names: AuditNames): EntryWords;
  auditLine(words: EntryWords, withIds: boolean): string;
}

/** The shared text, run once here as the browser runs it (Node has no policy against it). */
const words = new Function(`${AUDIT_WORDS_JS}\nreturn { ${AUDIT_WORDS_EXPORTS.join(", ")} };`)() as AuditWords;

/** The actions `audit --action` takes: the key trail's own. */
export const KEY_AUDIT_ACTIONS = Object.keys(words.KEY_ACTIONS);

/** Names for the trail's ids from the keys listed now; without a list (it could not be read), none. */
export function namesOf(keys: ApplicationKey[] | undefined): AuditNames {
  return {
    clients: Object.fromEntries((keys ?? []).map((k) => [k.client_id, k.name])),
    keys: Object.fromEntries((keys ?? []).map((k) => [k.id, k.name])),
    complete: keys !== undefined,
  };
}

/** The key trail, a line each, oldest first. */
export function keyAuditLines(entries: AuditRecord[], names: AuditNames): string[] {
  return entries.map((e) => words.auditLine(words.auditKeyEntry(e, names), true));
}

/** The signing keys' trail, a line each, oldest first. */
export function signingAuditLines(events: SigningKeyEvent[], names: AuditNames): string[] {
  return events.map((e) => words.auditLine(words.auditSigningEntry(e, names), true));
}
