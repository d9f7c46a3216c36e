import { MAX_LOGGED_PATH } from "../lib/limits.ts";
/**
 * Request paths as the log line records them: before any authentication, on whatever path a
 * stranger sends, so linear in the path's length and bounded in output. A segment that could be
 * a credential someone pasted where an id belongs (a client secret, a token: long and of their
 * alphabets) is left out, so that no secret reaches a log line by way of a mistyped URL; the
 * ids the API's paths take (a key's UUID, a 40-hex client_id) are kept.
 */
export function pathForLog(path: string): string {
  // Too short to hold a credential-like segment (the busiest paths are): nothing to look at.
  if (path.length < CREDENTIAL_MIN_LENGTH) return path;
  const shown = path.split("/").map(segmentForLog).join("/");
  return shown.length <= MAX_LOGGED_PATH ? shown : `${shown.slice(0, MAX_LOGGED_PATH - 1)}…`;
}

/** A segment this long or longer, of these characters, could be a credential. */
const CREDENTIAL_MIN_LENGTH = 32;
const CREDENTIAL_LIKE = /^[A-Za-z0-9._~+=%-]{32,}$/;
const ID = /^(?:[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}|[0-9a-f]{40})$/i;

function segmentForLog(segment: string): string {
  return CREDENTIAL_LIKE.test(segment) && !ID.test(segment) ? "…" : segment;
}
