/**
 * Request paths as routing and the log line see them. Both run before any authentication, on
 * whatever path a stranger sends, so each is linear in the path's length and bounded in output.
 */

/** The path without trailing slashes ("/" stays "/"): scanned once from the end, no regex. */
export function withoutTrailingSlashes(path: string): string {
  let end = path.length;
  while (end > 1 && path.charCodeAt(end - 1) === 0x2f) end--;
  return end === path.length ? path : path.slice(0, end);
}

/** The most of a path a log line records. */
export const MAX_LOGGED_PATH = 256;

export function pathForLog(path: string): string {
  return path.length <= MAX_LOGGED_PATH ? path : `${path.slice(0, MAX_LOGGED_PATH - 1)}…`;
}
