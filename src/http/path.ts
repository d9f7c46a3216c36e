import { MAX_LOGGED_PATH } from "../lib/limits.ts";
/**
 * Request paths as the log line records them: before any authentication, on whatever path a
 * stranger sends, so linear in the path's length and bounded in output. A run of characters that
 * could be a credential someone pasted where an id belongs (a client secret, a token: long and of
 * their alphabets), a whole segment or part of one (`id:secret`, `client_secret=…`), is left out,
 * so that no secret reaches a log line by way of a mistyped URL; the ids the API's paths take (a
 * key's UUID, a 40-hex client_id) are kept.
 */
export function pathForLog(path: string): string {
  // Too short to hold a credential-like run (the busiest paths are): nothing to look at.
  if (path.length < CREDENTIAL_MIN_LENGTH) return path;
  const shown = path.replace(CREDENTIAL_RUN, (run) => (ID.test(run) ? run : "…"));
  return shown.length <= MAX_LOGGED_PATH ? shown : `${shown.slice(0, MAX_LOGGED_PATH - 1)}…`;
}

/** A run this long or longer, of these characters ("/" is not one: a run never spans segments), could be a credential. */
const CREDENTIAL_MIN_LENGTH = 32;
const CREDENTIAL_RUN = /[A-Za-z0-9._~+=%-]{32,}/g;
const ID = /^(?:[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}|[0-9a-f]{40})$/i;
