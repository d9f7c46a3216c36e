import { AUDIT_WORDS_JS } from "./audit-words.ts";
import { API_JS } from "./script-api.ts";
import { AUDIT_JS } from "./script-audit.ts";
import { DIALOGS_JS } from "./script-dialogs.ts";
import { KEY_JS } from "./script-key.ts";
import { KEY_CREATE_JS } from "./script-key-create.ts";
import { KEY_LIST_JS } from "./script-key-list.ts";
import { NEW_SECRET_JS } from "./script-new-secret.ts";
import { SECRET_JS } from "./script-secret.ts";
import { SESSION_JS } from "./script-session.ts";
import { SIGNING_JS } from "./script-signing.ts";
import { TEXT_JS } from "./script-text.ts";
import { VIEWS_JS } from "./script-views.ts";

/**
 * The console's one script (docs/console.md), browser JavaScript served as /console/console.js,
 * kept in rooms that run in one scope, in the order below: the audit trails' words (shared with
 * the CLI), writing into the page, the API calls, dialogs, views, the session, the key list,
 * creating a key, the shown-once secret, one key, a new secret, the audit trails, the signing
 * keys. A room calls any other's functions once the page is running; what a room does as it
 * loads (its listeners, the dialogs' focus handling first) uses only the rooms before it.
 * It holds the token in a variable of this module and nowhere else: no storage, no cookie; the
 * secret is sent once to the token endpoint and the field cleared. Everything from the API is
 * put into the page as text, never as markup. The admin API's own answers decide; the page
 * only disables what the token's scope cannot do, saying why.
 */
/** Last, once every part is defined: the sign-in form shows, focused. */
const START_JS = `$("signin").hidden = false;
$("signin-id").focus();
`;

export const CONSOLE_JS = [
  AUDIT_WORDS_JS,
  TEXT_JS,
  API_JS,
  DIALOGS_JS,
  VIEWS_JS,
  SESSION_JS,
  KEY_LIST_JS,
  KEY_CREATE_JS,
  SECRET_JS,
  KEY_JS,
  NEW_SECRET_JS,
  AUDIT_JS,
  SIGNING_JS,
  START_JS,
].join("\n");
