import { AUDIT_WORDS_JS } from "./audit-words.ts";
import { AUDIT_JS } from "./script-audit.ts";
import { KEYS_JS } from "./script-keys.ts";
import { SESSION_JS } from "./script-session.ts";
import { SIGNING_JS } from "./script-signing.ts";

/**
 * The console's one script (docs/console.md), browser JavaScript served as /console/console.js,
 * kept in rooms that run in one scope: the audit trails' words (shared with the CLI), the
 * session, the keys, the audit trails, the signing keys.
 * It holds the token in a variable of this module and nowhere else: no storage, no cookie; the
 * secret is sent once to the token endpoint and the field cleared. Everything from the API is
 * put into the page as text, never as markup. The admin API's own answers decide; the page
 * only disables what the token's scope cannot do, saying why.
 */
/** Last, once every part is defined: the sign-in form shows, focused. */
const START_JS = `$("signin").hidden = false;
$("signin-id").focus();
`;

export const CONSOLE_JS = [AUDIT_WORDS_JS, SESSION_JS, KEYS_JS, AUDIT_JS, SIGNING_JS, START_JS].join("\n");
