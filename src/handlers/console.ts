import { CONSOLE_HTML } from "../console/page.ts";
import { CONSOLE_JS } from "../console/script.ts";
import { CONSOLE_CSS } from "../console/style.ts";

/**
 * GET /console, /console/console.css, /console/console.js: the operator's console
 * (docs/console.md), from this origin only. Its policy allows this origin's script, style and
 * requests and nothing else: no inline script or style, no other origin, no framing, no form
 * posted anywhere (the script sends what the forms hold).
 */
const POLICY =
  "default-src 'none'; script-src 'self'; style-src 'self'; connect-src 'self'; img-src 'self'; " +
  "base-uri 'none'; form-action 'none'; frame-ancestors 'none'";

const headers = (type: string, cache: string) => ({
  "Content-Type": type,
  "Content-Security-Policy": POLICY,
  "X-Content-Type-Options": "nosniff",
  "Referrer-Policy": "no-referrer",
  "Cross-Origin-Opener-Policy": "same-origin",
  "Cache-Control": cache,
});

/** The page: no-cache, so a new deployment's console is what a reload gets. */
export function getConsole(): Response {
  return new Response(CONSOLE_HTML, { headers: headers("text/html; charset=utf-8", "no-cache") });
}

export function getConsoleStyle(): Response {
  return new Response(CONSOLE_CSS, { headers: headers("text/css; charset=utf-8", "no-cache") });
}

export function getConsoleScript(): Response {
  return new Response(CONSOLE_JS, { headers: headers("text/javascript; charset=utf-8", "no-cache") });
}
