import { MAX_LOGGED_PATH } from "../lib/limits.ts";
/**
 * Request paths as the log line records them: before any authentication, on whatever path a
 * stranger sends, so linear in the path's length and bounded in output.
 */

export function pathForLog(path: string): string {
  return path.length <= MAX_LOGGED_PATH ? path : `${path.slice(0, MAX_LOGGED_PATH - 1)}…`;
}
