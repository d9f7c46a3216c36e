import { describe, expect, it } from "vitest";
import { AUDIT_WORDS_EXPORTS, AUDIT_WORDS_JS } from "../../src/console/audit-words.ts";
import { call } from "../support/helpers.ts";

/** The console's files as the Worker serves them: test/browser/console.ts runs the page in Chromium. */
const POLICY =
  "default-src 'none'; script-src 'self'; style-src 'self'; connect-src 'self'; img-src 'self'; base-uri 'none'; form-action 'none'; frame-ancestors 'none'";

describe("GET /console", () => {
  it("serves the page, its stylesheet and its one script from this origin, each under the same strict policy", async () => {
    for (const [path, type] of [
      ["/console", "text/html; charset=utf-8"],
      ["/console/console.css", "text/css; charset=utf-8"],
      ["/console/console.js", "text/javascript; charset=utf-8"],
    ] as const) {
      const res = await call(path);
      expect([path, res.status, res.headers.get("Content-Type"), res.headers.get("Content-Security-Policy")]).toStrictEqual([
        path,
        200,
        type,
        POLICY,
      ]);
      expect([res.headers.get("X-Content-Type-Options"), res.headers.get("Referrer-Policy")]).toStrictEqual(["nosniff", "no-referrer"]);
      await res.arrayBuffer();
    }
  });

  it("has no inline script or style and loads nothing from elsewhere; says it needs JavaScript without it", async () => {
    const html = await (await call("/console")).text();
    const scripts = [...html.matchAll(/<script\b([^>]*)>([\s\S]*?)<\/script>/g)];
    expect(scripts.map((m) => [m[1]!.trim(), m[2]])).toStrictEqual([['type="module" src="/console/console.js"', ""]]);
    expect(html).not.toMatch(/<style|\sstyle=|\son[a-z]+=|javascript:/);
    expect([...html.matchAll(/(?:src|href)="([^"]+)"/g)].map((m) => m[1]).filter((u) => !u!.startsWith("/"))).toStrictEqual([]);
    expect(html).toMatch(/<noscript><p class="notice">The console needs JavaScript/);
    // Every input has a label.
    const ids = [...html.matchAll(/<(?:input|select|textarea)\b[^>]*\bid="([^"]+)"/g)].map((m) => m[1]);
    const labelled = new Set([...html.matchAll(/<label for="([^"]+)"/g)].map((m) => m[1]));
    const inLabel = [...html.matchAll(/<label class="inline[^"]*"><input[^>]*>/g)].length;
    const fields = [...html.matchAll(/<(?:input|select|textarea)\b/g)].length;
    expect(ids.filter((id) => !labelled.has(id))).toStrictEqual(["c-dpop", "d-dpop"]);
    // the grant checkboxes (create, and a key's), the two DPoP ones and the three overlap choices, each inside its label
    expect(inLabel).toBe(9);
    expect(fields).toBe(ids.length - 2 + inLabel);
  });

  it("names in its script only elements the page has; every dialog is labelled; controls need application_keys or signing_keys", async () => {
    const html = await (await call("/console")).text();
    const js = await (await call("/console/console.js")).text();
    const ids = new Set([...html.matchAll(/\bid="([^"]+)"/g)].map((m) => m[1]));
    const named = [...new Set([...js.matchAll(/\$\("([\w-]+)"\)/g)].map((m) => m[1]!))];
    expect(named.length).toBeGreaterThan(80);
    expect(named.filter((id) => !ids.has(id))).toStrictEqual([]);
    const dialogs = [...html.matchAll(/<dialog id="([^"]+)" aria-labelledby="([^"]+)"/g)].map((m) => [m[1], ids.has(m[2])]);
    expect(dialogs).toStrictEqual([
      ["secret-dialog", true],
      ["rotate-dialog", true],
      ["delete-dialog", true],
      ["signing-dialog", true],
    ]);
    expect(new Set([...html.matchAll(/data-needs="([^"]+)"/g)].map((m) => m[1]))).toStrictEqual(
      new Set(["application_keys", "signing_keys"]),
    );
  });

  it("serves the audit trails' words the CLI prints with (src/console/audit-words.ts), as they are", async () => {
    const js = await (await call("/console/console.js")).text();
    expect(js.startsWith(AUDIT_WORDS_JS)).toBe(true);
    for (const name of AUDIT_WORDS_EXPORTS) expect(js).toMatch(new RegExp(`(?:const|function) ${name}\\b`));
  });
});
