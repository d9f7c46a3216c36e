/**
 * `npm run test:browser` (with storefront.ts): the operator's console (docs/console.md) in
 * headless Chromium, served by edge-token itself in one workerd. Keyboard first: sign in, create
 * a key and copy its secret, get a token with it from the page's origin, narrow it, read the
 * audit trail and the quota bar, delete it, sign out (the page's token revoked: inactive at
 * introspection); then a token without application_keys, whose controls are disabled. Any
 * Content-Security-Policy violation, console error the test did not cause, or layout shift over
 * 0.1 fails the run. Screenshots of the list and the create form at 360 px and 1280 px go into
 * docs/ (docs/console.md shows them). Exits 1 on any difference.
 */
import { mkdirSync } from "node:fs";
import { exportJWK, generateKeyPair } from "jose";
import { convertV4MiniflareOptions, Miniflare } from "miniflare";
import type { Page } from "playwright-core";
import { freePort } from "../../src/cli/ports.ts";
import { createApplicationKey } from "../bench/workers.ts";
import { edgeTokenOnPort, haveChromium, launchChromium } from "./harness.ts";

const WIDTHS = { phone: { width: 360, height: 780 }, desktop: { width: 1280, height: 900 } };

/** What the page's own listeners saw: CSP violations and layout shifts (added before any page script runs). */
const WATCH = `
window.__violations = [];
document.addEventListener("securitypolicyviolation", (e) => window.__violations.push(e.violatedDirective + " " + e.blockedURI));
window.__shift = 0;
window.__shifts = [];
new PerformanceObserver((list) => { for (const e of list.getEntries()) if (!e.hadRecentInput) { window.__shift += e.value; window.__shifts.push((window.__step || "") + " " + e.value.toFixed(3) + " " + (e.sources || []).map((s) => s.node && (s.node.id || s.node.nodeName)).join(",")); } }).observe({ type: "layout-shift", buffered: true });
`;

/** A form POST made by the page itself, from its origin: its status and JSON body. */
const formPost = (page: Page, path: string, params: Record<string, string>) =>
  page.evaluate(
    async ([p, form]) => {
      const res = await fetch(p, {
        method: "POST",
        headers: { "Content-Type": "application/x-www-form-urlencoded" },
        body: new URLSearchParams(form),
      });
      return { status: res.status, body: (await res.json()) as Record<string, unknown> };
    },
    [path, params] as const,
  );

/** Names what the run does next, for the layout-shift log. */
const step = (page: Page, name: string) =>
  page.evaluate((x) => {
    (window as unknown as { __step: string }).__step = x;
  }, name);

const failures: string[] = [];
function expectEqual(what: string, actual: unknown, expected: unknown): void {
  const ok = JSON.stringify(actual) === JSON.stringify(expected);
  console.log(`${ok ? "ok  " : "FAIL"} ${what}: ${JSON.stringify(actual)}${ok ? "" : ` (expected ${JSON.stringify(expected)})`}`);
  if (!ok) failures.push(what);
}

async function main(): Promise<number> {
  if (!haveChromium("test:browser (console)")) return 0;
  const port = await freePort();
  const origin = `http://127.0.0.1:${port}`;
  const mf = new Miniflare(
    convertV4MiniflareOptions({
      handleStructuredLogs: () => {},
      workers: [await edgeTokenOnPort(port, "browser-console-edge-token")],
    } as never),
  );
  const browser = await launchChromium();
  try {
    await mf.ready;
    const operator = await createApplicationKey(mf, {
      name: "operator",
      scope: "read write application_keys",
      grant_types: ["client_credentials"],
    });
    const reader = await createApplicationKey(mf, { name: "reporting job", scope: "read write", grant_types: ["client_credentials"] });
    for (const name of ["Storefront", "Billing job", "Partner feed"]) {
      await createApplicationKey(mf, { name, scope: "read", grant_types: name === "Storefront" ? ["implicit"] : ["client_credentials"] });
    }
    // The keys the list shows, kept up to date as the run makes and deletes keys.
    const listed = ["Billing job", "Partner feed", "Storefront", "operator", "reporting job"];
    mkdirSync("docs", { recursive: true });
    const { publicKey } = await generateKeyPair("Ed25519");
    const jwks = { keys: [{ ...(await exportJWK(publicKey)), kid: "billing-1", alg: "EdDSA" }] };
    console.log(`Chromium ${browser.version()}, console ${origin}/console`);

    for (const [size, viewport] of Object.entries(WIDTHS)) {
      const context = await browser.newContext({ viewport });
      await context.grantPermissions(["clipboard-read", "clipboard-write"], { origin });
      const page = await context.newPage();
      // The page's clock runs as the real one until the run moves it past the token's expiry.
      await page.clock.install();
      await page.addInitScript(WATCH);
      const errors: string[] = [];
      page.on("console", (m) => m.type() === "error" && errors.push(m.text()));
      page.on("pageerror", (e) => errors.push(String(e)));
      await page.goto(`${origin}/console`);

      // Sign in with the keyboard alone: the client_id field has focus, Tab to the secret, Enter.
      await page.waitForSelector("#signin:not([hidden])");
      await page.keyboard.type(operator.client_id);
      await page.keyboard.press("Tab");
      await page.keyboard.type(operator.client_secret);
      // The token the page gets: it keeps it in its script's scope only, so it is read off the wire.
      const signedIn = page.waitForResponse((r) => new URL(r.url()).pathname === "/oauth/access_token");
      await page.keyboard.press("Enter");
      const held = String(((await (await signedIn).json()) as { access_token: string }).access_token);
      await page.waitForSelector("#key-rows tr td:has-text('operator')");
      await page.screenshot({ path: `docs/console-list-${size}.png`, fullPage: false });
      expectEqual(
        `${size}: the list`,
        await page.$$eval("#key-rows tr td:first-child", (tds) => tds.map((t) => t.textContent).sort()),
        [...listed].sort(),
      );

      // Search narrows the list.
      await step(page, "Search narrows th");
      await page.fill("#search", "job");
      await page.waitForFunction(() => document.querySelectorAll("#key-rows tr").length === 2);
      expectEqual(`${size}: search "job"`, await page.$$eval("#key-rows tr td:first-child", (t) => t.map((x) => x.textContent).sort()), [
        "Billing job",
        "reporting job",
      ]);
      await page.fill("#search", "");
      await page.waitForFunction((n) => document.querySelectorAll("#key-rows tr").length === n, listed.length);

      // Create a key, keyboard first; an error from the API shows next to its field.
      await step(page, "Create a key, key");
      await page.focus("#new-key");
      await page.keyboard.press("Enter");
      await page.waitForSelector("#create:not([hidden])");
      await page.keyboard.type(`Shop backend ${size}`);
      await page.fill("#c-scope", "read admin");
      await page.fill("#c-per-hour", "100");
      await page.screenshot({ path: `docs/console-create-${size}.png`, fullPage: false });
      await page.click("#create-form button[type=submit]");
      await page.waitForFunction(() => document.getElementById("c-scope-error")!.textContent !== "");
      expectEqual(
        `${size}: a scope the API refuses, next to its field`,
        [await page.textContent("#c-scope-error"), await page.getAttribute("#c-scope", "aria-invalid")],
        ['The field "data.scope" must be space-delimited scopes from: read write application_keys signing_keys.', "true"],
      );
      await page.fill("#c-scope", "read write");
      await page.click("#create-form button[type=submit]");
      await page.waitForSelector("#secret-dialog[open]");
      await page.click("#secret-copy");
      await page.waitForSelector("#secret-copied:has-text('Copied.')");
      const secret = await page.inputValue("#secret-value");
      const clientId = await page.inputValue("#secret-client");
      expectEqual(
        `${size}: the secret copied`,
        (await page.evaluate(() => navigator.clipboard.readText())) === secret && secret.length > 40,
        true,
      );

      // A token with it, from the page's origin.
      await step(page, "A token with it,");
      const token = await formPost(page, "/oauth/access_token", {
        grant_type: "client_credentials",
        client_id: clientId,
        client_secret: secret,
      });
      expectEqual(`${size}: a token with the new key`, [token.status, token.body.scope], [200, "read write"]);
      await page.click("#secret-close");
      expectEqual(`${size}: the secret gone from the page`, await page.inputValue("#secret-value"), "");

      // Manage it: the quota bar, then narrow it to read.
      await step(page, "Manage it: the qu");
      await page.click(`#key-rows button[aria-label="Manage Shop backend ${size}"]`);
      await page.waitForSelector("#usage-bars progress");
      expectEqual(
        `${size}: the quota bar`,
        await page.$eval("#usage-bars progress", (p) => [p.getAttribute("value"), p.getAttribute("max")]),
        ["1", "100"],
      );
      await page.fill("#d-scope", "read");
      await page.click("#scope-form button[type=submit]");
      await page.waitForFunction(() => document.querySelector("#key-audit li")?.textContent?.includes("update"));
      expectEqual(
        `${size}: its audit trail, newest first`,
        await page.$$eval("#key-audit li", (l) => l.map((x) => x.textContent!.split(" · ")[2])),
        ["update", "create"],
      );
      expectEqual(
        `${size}: the narrowing in the audit`,
        (await page.textContent("#key-audit li"))!.includes('scope "read write" → "read"'),
        true,
      );
      const introspected = await formPost(page, "/oauth/introspect", {
        token: String(token.body.access_token),
        client_id: clientId,
        client_secret: secret,
      });
      expectEqual(`${size}: the token from before the narrowing`, introspected.body.active, false);

      // Delete it, confirmed with the keyboard; the dialog says what it revokes.
      await step(page, "Delete it, confir");
      await page.click("#delete-key");
      await page.waitForSelector("#delete-dialog[open]");
      expectEqual(
        `${size}: the confirmation`,
        (await page.textContent("#delete-text"))!.includes("revokes every token it was ever issued"),
        true,
      );
      await page.focus("#delete-confirm");
      await page.keyboard.press("Enter");
      await page.waitForSelector("#detail", { state: "hidden" });
      await page.waitForFunction(() => document.querySelector("#audit-rows li")?.textContent?.includes("delete"));
      expectEqual(
        `${size}: the deployment's audit trail, newest first`,
        await page.$$eval("#audit-rows li", (l) => l.slice(0, 3).map((x) => x.textContent!.split(" · ")[2])),
        ["delete", "update", "create"],
      );

      // A key that holds no secret: its public keys uploaded as a file (or pasted), no secret shown.
      await page.click("#new-key");
      await page.fill("#c-name", `Billing machine ${size}`);
      await page.selectOption("#c-auth", "private_key_jwt");
      await page.setInputFiles("#c-jwks-file", {
        name: "billing.jwks.json",
        mimeType: "application/json",
        buffer: Buffer.from(JSON.stringify(jwks)),
      });
      await page.waitForFunction(() => (document.getElementById("c-jwks") as HTMLTextAreaElement).value.includes("Ed25519"));
      await page.click("#create-form button[type=submit]");
      await page.waitForSelector(`#key-rows td:has-text("Billing machine ${size}")`);
      await page.waitForFunction(() => document.getElementById("status")!.textContent!.startsWith("Created"));
      listed.push(`Billing machine ${size}`);
      expectEqual(
        `${size}: a private_key_jwt key`,
        [await page.textContent("#status"), await page.isVisible("#secret-dialog")],
        [`Created Billing machine ${size}: it holds no secret, and proves itself with its keys.`, false],
      );

      // Sign out: the token revoked, then forgotten; nothing kept.
      await step(page, "Sign out: nothing");
      const heldActive = () =>
        formPost(page, "/oauth/introspect", { token: held, client_id: reader.client_id, client_secret: reader.client_secret });
      expectEqual(`${size}: the console's token, active before sign-out`, (await heldActive()).body.active, true);
      const revoked = page.waitForResponse((r) => new URL(r.url()).pathname === "/oauth/revoke");
      await page.click("#sign-out");
      await page.waitForSelector("#signin:not([hidden])");
      const revocation = await revoked;
      expectEqual(
        `${size}: sign-out revokes the token as its bearer`,
        [
          revocation.status(),
          revocation.request().headers().authorization === `Bearer ${held}`,
          revocation.request().postData() === `token=${held}`,
        ],
        [200, true, true],
      );
      expectEqual(`${size}: the console's token, inactive after sign-out`, (await heldActive()).body, { active: false });
      expectEqual(
        `${size}: nothing stored`,
        await page.evaluate(() => [localStorage.length, sessionStorage.length, document.cookie, document.getElementById("app")!.hidden]),
        [0, 0, "", true],
      );

      // A token without application_keys: the controls are disabled, and say why.
      await step(page, "A token without a");
      await page.fill("#signin-id", reader.client_id);
      await page.fill("#signin-secret", reader.client_secret);
      await page.press("#signin-secret", "Enter");
      await page.waitForSelector("#rights:not([hidden])");
      await page.waitForFunction(() => document.getElementById("key-rows")!.textContent!.includes("application_keys scope"));
      expectEqual(
        `${size}: a token without application_keys`,
        [await page.isDisabled("#new-key"), await page.textContent("#rights"), await page.textContent("#key-rows")],
        [
          true,
          "This token's scope is “read write”: seeing and changing application keys needs application_keys. The controls below are disabled.",
          "Managing application keys needs a token with the application_keys scope.",
        ],
      );

      // The token expires: the page signs out by itself, and says why.
      await page.clock.fastForward("02:00:00");
      await page.waitForSelector("#signin:not([hidden])");
      expectEqual(
        `${size}: signed out at the token's expiry`,
        [await page.textContent("#signin-error"), await page.isHidden("#app")],
        ["Your token expired: sign in again.", true],
      );

      expectEqual(`${size}: CSP violations`, await page.evaluate(() => (window as unknown as { __violations: string[] }).__violations), []);
      const shifts = await page.evaluate(() => {
        const w = window as unknown as { __shift: number; __shifts: string[] };
        return { __shift: w.__shift, __shifts: w.__shifts };
      });
      expectEqual(`${size}: layout shift under 0.1`, shifts.__shift < 0.1 ? true : shifts.__shifts, true);
      expectEqual(
        `${size}: console errors`,
        errors.filter((e) => !e.includes("status of 40")),
        [],
      );
      // The watch itself: an inline script is refused and seen.
      await page.evaluate(() => {
        const s = document.createElement("script");
        s.textContent = "window.injected = true";
        document.body.append(s);
      });
      await page.waitForTimeout(100);
      expectEqual(
        `${size}: an inline script refused by the CSP, and noticed`,
        await page.evaluate(() => [
          (window as unknown as { injected?: boolean }).injected ?? false,
          (window as unknown as { __violations: string[] }).__violations.length,
        ]),
        [false, 1],
      );
      await context.close();
    }
  } finally {
    await browser.close();
    await mf.dispose();
  }
  console.log(failures.length === 0 ? "test:browser (console): passed" : `test:browser (console): FAILED: ${failures.join("; ")}`);
  return failures.length === 0 ? 0 : 1;
}

process.exit(await main());
