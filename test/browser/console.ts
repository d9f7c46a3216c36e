/**
 * `npm run test:browser` (with storefront.ts): the operator's console (docs/console.md) in
 * headless Chromium, served by edge-token itself in one workerd, at 360 × 740 and 1280 × 800.
 * Keyboard first: sign in; create a key and copy its secret (focus kept inside the dialog, Escape
 * asking before the secret is gone); get a token with it from the page's origin; narrow it, change
 * its quota and DPoP binding, read the audit trail in words; give it a new secret with an hour's
 * overlap (both secrets work) and then with none (the old one and the key's tokens dead); delete
 * it; a private_key_jwt key and its public keys replaced; the audit trail filtered by action and
 * by key; a key's name holding bidi and terminal controls (written out, quoted, isolated) and one
 * named "command line" (a key, its client_id beside); the signing keys: a rotation asked for early,
 * then an emergency rotation (a token from before it refused after); the console's session ending
 * while a secret is open (a 401, the token's expiry, an answer arriving after it: the secret kept,
 * the sign-out once it is closed); sign out (the token revoked, every message and field gone); a token
 * without application_keys or signing_keys, whose controls are disabled and say why; the token's
 * expiry. axe-core runs on every view at both widths (a serious or critical violation fails),
 * and at 360 px every view is measured: no wider than the screen, nothing scrolling sideways, no
 * word broken. Any CSP violation, console error the run did not cause, or layout shift over 0.1
 * fails it too. Screenshots of six views at both widths go into docs/ (docs/console.md shows
 * them). Exits 1 on any difference.
 */
import { mkdirSync } from "node:fs";
import { exportJWK, generateKeyPair } from "jose";
import { convertV4MiniflareOptions, Miniflare } from "miniflare";
import type { Page, Route } from "playwright-core";
import { freePort } from "../../src/cli/ports.ts";
import { createApplicationKey } from "../bench/workers.ts";
import { axe, expectEqual, failures, fits, leftovers, summary } from "./console-checks.ts";
import { edgeTokenOnPort, haveChromium, launchChromium } from "./harness.ts";

const WIDTHS = { phone: { width: 360, height: 740 }, desktop: { width: 1280, height: 800 } };

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

/** A client_credentials token for these credentials, asked for from the page's origin. */
const tokenFor = (page: Page, clientId: string, secret: string) =>
  formPost(page, "/oauth/access_token", { grant_type: "client_credentials", client_id: clientId, client_secret: secret });

/** Names what the run does next, for the layout-shift log. */
const step = (page: Page, name: string) =>
  page.evaluate((x) => {
    (window as unknown as { __step: string }).__step = x;
  }, name);

/** docs/console-NAME-SIZE.png, of the screen as it is with the page scrolled to its top (docs/console.md shows them). */
async function shot(page: Page, name: string, size: string): Promise<void> {
  await page.evaluate(() => window.scrollTo(0, 0));
  await page.screenshot({ path: `docs/console-${name}-${size}.png` });
}

const active = (page: Page) => page.evaluate(() => document.activeElement?.id ?? "");
const text = async (page: Page, selector: string) => (await page.textContent(selector)) ?? "";
/** What each element shows, as read (innerText: a closed detail's content left out), spaces made one. */
const texts = (page: Page, selector: string) =>
  page.$$eval(selector, (l) =>
    // biome-ignore lint/performance/useDomNodeTextContent: what a reader sees is the point, laid out
    l.map((x) => ((x as HTMLElement).innerText ?? "").replace(/\s+/g, " ").trim()),
  );

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
      scope: "read write application_keys signing_keys",
      grant_types: ["client_credentials"],
    });
    const reader = await createApplicationKey(mf, { name: "reporting job", scope: "read write", grant_types: ["client_credentials"] });
    for (const name of ["Storefront", "Billing job", "Partner feed"]) {
      await createApplicationKey(mf, { name, scope: "read", grant_types: name === "Storefront" ? ["implicit"] : ["client_credentials"] });
    }
    // The keys the list shows, kept up to date as the run makes and deletes keys.
    const listed = ["Billing job", "Partner feed", "Storefront", "operator", "reporting job"];
    mkdirSync("docs", { recursive: true });
    const jwk = async (kid: string) => ({ ...(await exportJWK((await generateKeyPair("Ed25519")).publicKey)), kid, alg: "EdDSA" });
    const jwks = { keys: [await jwk("billing-1")] };
    const jwksTwo = { keys: [...jwks.keys, await jwk("billing-2")] };
    console.log(`Chromium ${browser.version()}, console ${origin}/console`);

    for (const [size, viewport] of Object.entries(WIDTHS)) {
      const phone = size === "phone";
      const context = await browser.newContext({ viewport });
      await context.grantPermissions(["clipboard-read", "clipboard-write"], { origin });
      const page = await context.newPage();
      // The page's clock runs as the real one until the run moves it past the token's expiry.
      await page.clock.install();
      await page.addInitScript(WATCH);
      const errors: string[] = [];
      page.on("console", (m) => m.type() === "error" && errors.push(m.text()));
      page.on("pageerror", (e) => errors.push(String(e)));
      const check = async (view: string, reachable?: string) => {
        await axe(page, size, view);
        if (phone) await fits(page, view, reachable);
      };
      const introspect = (token: string) =>
        formPost(page, "/oauth/introspect", { token, client_id: reader.client_id, client_secret: reader.client_secret });
      await page.goto(`${origin}/console`);

      // Sign in with the keyboard alone: the client_id field has focus, Tab to the secret, Enter.
      await page.waitForSelector("#signin:not([hidden])");
      const pristine = await leftovers(page);
      await check("sign-in");
      const signIn = async (who: { client_id: string; client_secret: string }) => {
        await page.focus("#signin-id");
        await page.keyboard.type(who.client_id);
        await page.keyboard.press("Tab");
        await page.keyboard.type(who.client_secret);
        // The token the page gets: it keeps it in its script's scope only, so it is read off the wire.
        const signedIn = page.waitForResponse((r) => new URL(r.url()).pathname === "/oauth/access_token");
        await page.keyboard.press("Enter");
        return String(((await (await signedIn).json()) as { access_token: string }).access_token);
      };
      /** Signs in as the operator: the page's token, once the list shows the operator's own key. */
      const signInAsOperator = async () => {
        const token = await signIn(operator);
        await page.waitForSelector("#key-rows tr td:has-text('operator')");
        return token;
      };
      /** Opens a key from the list by its Manage button: done once its detail is titled with the name. */
      const openKey = async (name: string) => {
        await page.click(`#key-rows button[aria-label="Manage ${name}"]`);
        await page.waitForSelector(`#detail-title:has-text("${name}")`);
      };
      let held = await signInAsOperator();
      await page.waitForSelector("#who-text strong:has-text('operator')");
      expectEqual(`${size}: the status line starts empty`, await text(page, "#status"), "");
      await check("key list", "#key-rows button");
      await shot(page, "list", size);
      expectEqual(`${size}: the list`, (await texts(page, "#key-rows td.name")).sort(), [...listed].sort());

      // Search narrows the list.
      await step(page, "search");
      await page.fill("#search", "job");
      await page.waitForFunction(() => document.querySelectorAll("#key-rows tr").length === 2);
      expectEqual(`${size}: search "job"`, (await texts(page, "#key-rows td.name")).sort(), ["Billing job", "reporting job"]);
      await page.fill("#search", "");
      await page.waitForFunction((n) => document.querySelectorAll("#key-rows tr").length === n, listed.length);

      // Create a key, keyboard first; an error from the API shows next to its field.
      await step(page, "create");
      await page.focus("#new-key");
      await page.keyboard.press("Enter");
      await page.waitForSelector("#create:not([hidden])");
      expectEqual(`${size}: the create form takes focus at its name`, await active(page), "c-name");
      const keyName = `Shop backend ${size}`;
      await page.keyboard.type(keyName);
      await page.fill("#c-scope", "read admin");
      await page.fill("#c-per-hour", "100");
      await check("create form");
      await shot(page, "create", size);
      await page.click("#create-form button[type=submit]");
      await page.waitForFunction(() => document.getElementById("c-scope-error")!.textContent !== "");
      expectEqual(
        `${size}: a scope the API refuses, next to its field`,
        [await text(page, "#c-scope-error"), await page.getAttribute("#c-scope", "aria-invalid")],
        ['The field "data.scope" must be space-delimited scopes from: read write application_keys signing_keys.', "true"],
      );
      await page.fill("#c-scope", "read write");
      await page.click("#create-form button[type=submit]");
      await page.waitForSelector("#secret-dialog[open]");
      await check("the secret, shown once");

      // The dialog keeps focus inside: Tab and Shift+Tab wrap; Escape asks before the secret is gone.
      await step(page, "secret dialog");
      const tabs: string[] = [await active(page)];
      for (let i = 0; i < 4; i++) {
        await page.keyboard.press("Tab");
        tabs.push(await active(page));
      }
      await page.keyboard.press("Shift+Tab");
      tabs.push(await active(page));
      expectEqual(`${size}: Tab and Shift+Tab stay in the secret dialog`, tabs, [
        "secret-value",
        "secret-client",
        "secret-copy",
        "secret-close",
        "secret-value",
        "secret-close",
      ]);
      const secret = await page.inputValue("#secret-value");
      const clientId = await page.inputValue("#secret-client");
      await page.keyboard.press("Escape");
      expectEqual(
        `${size}: Escape asks before the secret is gone`,
        [
          await page.isVisible("#secret-dialog"),
          await page.isVisible("#secret-leave"),
          await active(page),
          await page.inputValue("#secret-value"),
        ],
        [true, true, "secret-stay", secret],
      );
      await page.keyboard.press("Escape");
      expectEqual(
        `${size}: Escape again goes back to the secret`,
        [await page.isVisible("#secret-dialog"), await page.isVisible("#secret-leave"), await active(page)],
        [true, false, "secret-value"],
      );
      await page.click("#secret-copy");
      await page.waitForSelector("#secret-copied:has-text('Copied.')");
      expectEqual(
        `${size}: the secret copied`,
        (await page.evaluate(() => navigator.clipboard.readText())) === secret && secret.length > 40,
        true,
      );

      // A token with it, from the page's origin.
      await step(page, "token");
      const token = await tokenFor(page, clientId, secret);
      expectEqual(`${size}: a token with the new key`, [token.status, token.body.scope], [200, "read write"]);
      await page.click("#secret-close");
      await page.waitForFunction(() => document.activeElement?.id === "new-key");
      expectEqual(`${size}: the secret gone from the page`, await page.inputValue("#secret-value"), "");
      listed.push(keyName);

      // Manage it: the quota bar, then narrow it to read.
      await step(page, "manage");
      await page.click(`#key-rows button[aria-label="Manage ${keyName}"]`);
      await page.waitForSelector("#usage-bars progress");
      await page.waitForSelector("#key-audit li:has-text('created')");
      await check("one key");
      await shot(page, "key", size);
      expectEqual(
        `${size}: the quota bar`,
        await page.$eval("#usage-bars progress", (p) => [p.getAttribute("value"), p.getAttribute("max")]),
        ["1", "100"],
      );
      await page.fill("#d-scope", "read");
      await page.click("#scope-form button[type=submit]");
      await page.waitForFunction(() => document.querySelector("#key-audit > li")?.textContent?.includes("changed"));
      const newest = async () => ((await texts(page, "#key-audit > li"))[0] ?? "").replace(/^\S+ \S+ UTC /, "");
      expectEqual(
        `${size}: the narrowing in the audit trail, in words`,
        await newest(),
        `“${keyName}” changed by “operator” scope: read write → read Ids`,
      );
      expectEqual(
        `${size}: the actor's client_id beside its name`,
        await page.$eval("#key-audit > li details", (d) => d.textContent?.replace(/\s+/g, " ")),
        `Idskey id ${await page.$eval("#detail-facts dd:nth-of-type(2)", (d) => d.textContent)}client_id of “operator” ${operator.client_id}Names are the keys' names now.`,
      );
      expectEqual(`${size}: the token from before the narrowing`, (await introspect(String(token.body.access_token))).body.active, false);

      // Its quota and DPoP binding, after creation: turned on, then off again.
      await step(page, "limits");
      await page.fill("#d-per-hour", "50");
      await page.fill("#d-per-day", "1000");
      await page.check("#d-dpop");
      await page.click("#limits-form button[type=submit]");
      await page.waitForFunction(() => document.querySelector("#key-audit > li")?.textContent?.includes("DPoP-bound"));
      expectEqual(
        `${size}: the quota and DPoP change in the audit trail`,
        await newest(),
        `“${keyName}” changed by “operator” quota: 100 an hour → 50 an hour, 1000 a day DPoP-bound: no → yes Ids`,
      );
      await page.uncheck("#d-dpop");
      await page.click("#limits-form button[type=submit]");
      await page.waitForFunction(() => document.querySelector("#key-audit > li")?.textContent?.includes("yes → no"));
      expectEqual(`${size}: the facts say it`, await texts(page, "#detail-facts dd"), [
        clientId,
        await page.$eval("#detail-facts dd:nth-of-type(2)", (d) => d.textContent ?? ""),
        "read",
        "client_credentials",
        "a secret (client_secret_basic)",
        "no",
        "50 an hour, 1000 a day",
        "none",
        expect1(await page.$eval("#detail-facts dd:nth-of-type(9)", (d) => d.textContent ?? ""), / by “operator”$/),
        expect1(await page.$eval("#detail-facts dd:nth-of-type(10)", (d) => d.textContent ?? ""), / UTC$/),
      ]);

      // A new secret, keyboard only, with an hour's overlap: both secrets work.
      await step(page, "new secret");
      await page.focus("#rotate-secret");
      await page.keyboard.press("Enter");
      await page.waitForSelector("#rotate-dialog[open]");
      expectEqual(
        `${size}: the overlap choice has focus, 24 hours chosen`,
        await page.evaluate(() => (document.activeElement as HTMLInputElement).value),
        "86400",
      );
      await page.keyboard.press("ArrowDown");
      expectEqual(
        `${size}: an hour's overlap, its consequence said`,
        (await text(page, "#rotate-consequence")).startsWith("Both secrets work for an hour, until about "),
        true,
      );
      await check("new secret: the overlap");
      await shot(page, "new-secret", size);
      await page.keyboard.press("Tab");
      expectEqual(`${size}: Tab to the confirmation`, await active(page), "rotate-confirm");
      await page.keyboard.press("Enter");
      await page.waitForSelector("#secret-dialog[open] #secret-old:not([hidden])");
      const second = await page.inputValue("#secret-value");
      expectEqual(
        `${size}: the new secret shown once, the old one's end said`,
        [
          (await text(page, "#secret-old")).startsWith("The old secret works until "),
          second !== secret,
          await page.inputValue("#secret-client"),
        ],
        [true, true, clientId],
      );
      expectEqual(
        `${size}: both secrets get tokens during the overlap`,
        [(await tokenFor(page, clientId, secret)).status, (await tokenFor(page, clientId, second)).status],
        [200, 200],
      );
      // Leaving by the keyboard: Escape asks, Tab to "Close, it is gone", Enter; focus back on "New secret".
      await page.keyboard.press("Escape");
      await page.keyboard.press("Tab");
      await page.keyboard.press("Enter");
      await page.waitForSelector("#secret-dialog", { state: "hidden" });
      expectEqual(
        `${size}: closed without the secret, focus back`,
        [await page.inputValue("#secret-value"), await active(page)],
        ["", "rotate-secret"],
      );
      await page.waitForFunction(() => document.querySelector("#key-audit > li")?.textContent?.includes("new secret"));
      expectEqual(
        `${size}: the rotation in the audit trail`,
        (await newest()).replace(/\d{4}-\d\d-\d\d \d\d:\d\d:\d\d UTC/, "T"),
        `“${keyName}” given a new secret by “operator” the old secret works until T Ids`,
      );

      // Another, keeping nothing (a leak): the old secret and every token of the key dead at once.
      const before = await tokenFor(page, clientId, second);
      await page.focus("#rotate-secret");
      await page.keyboard.press("Enter");
      await page.waitForSelector("#rotate-dialog[open]");
      await page.keyboard.press("ArrowDown");
      await page.keyboard.press("ArrowDown");
      expectEqual(
        `${size}: keeping none, its consequence said`,
        [
          (await text(page, "#rotate-consequence")).startsWith(
            "The old secret stops working now, and every token the key holds is revoked",
          ),
          await text(page, "#rotate-confirm"),
        ],
        [true, "Make a new secret, end the old one"],
      );
      await page.keyboard.press("Tab");
      await page.keyboard.press("Enter");
      await page.waitForSelector("#secret-dialog[open] #secret-old:not([hidden])");
      const third = await page.inputValue("#secret-value");
      expectEqual(
        `${size}: a leaked secret replaced`,
        [
          await text(page, "#secret-old"),
          (await tokenFor(page, clientId, second)).status,
          (await introspect(String(before.body.access_token))).body.active,
          (await tokenFor(page, clientId, third)).status,
        ],
        ["The old secret no longer works, and every token the key held is revoked.", 401, false, 200],
      );
      await page.click("#secret-close");
      // Focus goes back to "New secret" as the dialog closes: wait for it before moving on.
      await page.waitForFunction(() => document.activeElement?.id === "rotate-secret");

      // Delete it, confirmed with the keyboard; the dialog says what it revokes.
      await step(page, "delete");
      await page.focus("#delete-key");
      await page.keyboard.press("Enter");
      await page.waitForSelector("#delete-dialog[open]");
      expectEqual(
        `${size}: the confirmation, focus on keeping it`,
        [(await text(page, "#delete-text")).includes("revokes every token it was ever issued"), await active(page)],
        [true, "delete-cancel"],
      );
      await check("delete confirmation");
      await page.keyboard.press("Shift+Tab");
      await page.keyboard.press("Enter");
      await page.waitForSelector("#detail", { state: "hidden" });
      listed.pop();
      await page.waitForFunction((n) => document.querySelectorAll("#key-rows tr").length === n, listed.length);

      // A key that holds no secret: its public keys uploaded as a file, no secret shown; later replaced.
      await step(page, "private_key_jwt");
      await page.click("#new-key");
      const machine = `Billing machine ${size}`;
      await page.fill("#c-name", machine);
      await page.selectOption("#c-auth", "private_key_jwt");
      await page.setInputFiles("#c-jwks-file", {
        name: "billing.jwks.json",
        mimeType: "application/json",
        buffer: Buffer.from(JSON.stringify(jwks)),
      });
      await page.waitForFunction(() => (document.getElementById("c-jwks") as HTMLTextAreaElement).value.includes("Ed25519"));
      await page.click("#create-form button[type=submit]");
      await page.waitForSelector(`#key-rows td:has-text("${machine}")`);
      await page.waitForFunction(() => document.getElementById("status")!.textContent!.startsWith("Created"));
      listed.push(machine);
      expectEqual(
        `${size}: a private_key_jwt key`,
        [await text(page, "#status"), await page.isVisible("#secret-dialog")],
        [`Created “${machine}”: it holds no secret, and proves itself with its keys.`, false],
      );
      await page.click(`#key-rows button[aria-label="Manage ${machine}"]`);
      await page.waitForSelector("#d-jwks-box:not([hidden])");
      expectEqual(
        `${size}: no secret to renew`,
        [await page.isVisible("#rotate-secret"), (await text(page, "#d-secret-text")).startsWith("It holds no secret")],
        [false, true],
      );
      await page.fill("#d-jwks", JSON.stringify(jwksTwo));
      await page.click("#jwks-form button[type=submit]");
      await page.waitForFunction(() => document.querySelector("#key-audit > li")?.textContent?.includes("→ billing-1, billing-2"));
      expectEqual(
        `${size}: its public keys replaced`,
        await newest(),
        `“${machine}” changed by “operator” public keys: billing-1 → billing-1, billing-2 Ids`,
      );

      // The deployment's audit trail, filtered by action and by key.
      await step(page, "audit");
      await page.click("#view-audit");
      await page.waitForSelector("#audit-rows > li time");
      await check("audit trail");
      await shot(page, "audit", size);
      await page.selectOption("#audit-action", "delete");
      await page.waitForFunction(() =>
        [...document.querySelectorAll("#audit-rows > li")].every((l) => l.textContent?.includes(" deleted by ")),
      );
      expectEqual(
        `${size}: filtered by action`,
        (await texts(page, "#audit-rows > li > p:nth-child(2)")).filter((t) => t.startsWith(`“${keyName}”`)),
        [`“${keyName}” deleted by “operator”`],
      );
      await page.selectOption("#audit-action", "");
      const machineId = await page.$eval(`#audit-key option:text-is("${machine}")`, (o) => (o as HTMLOptionElement).value);
      await page.selectOption("#audit-key", machineId);
      await page.waitForFunction(
        (m) => [...document.querySelectorAll("#audit-rows > li")].every((l) => l.textContent?.includes(m)),
        machine,
      );
      expectEqual(`${size}: filtered by key`, await texts(page, "#audit-rows > li > p:nth-child(2)"), [
        `“${machine}” changed by “operator”`,
        `“${machine}” created by “operator”`,
      ]);
      await page.selectOption("#audit-key", "");

      // A key's name is whatever anyone who may rename a key made it: its control and bidi
      // characters written out, quoted and isolated in a <bdi>, so that it neither turns the line
      // around nor passes for the page's own words; the entries from before a rename say the name they kept.
      await step(page, "names");
      await page.click("#view-keys");
      await openKey(machine);
      // U+202E turns the rest of a line around; ESC [8m conceals what a terminal prints after it.
      const hostile = "Payments\u202e by command line\u001b[8m";
      const written = "Payments\\u202E by command line\\u001B[8m";
      await page.fill("#d-name", hostile);
      await page.click("#rename-form button[type=submit]");
      await page.waitForFunction(() => document.querySelector("#key-audit > li")?.textContent?.includes(" renamed by "));
      const renamedEntry = "#key-audit > li:first-child";
      expectEqual(
        `${size}: a name's bidi and terminal controls written out, the name quoted and isolated, wherever it is shown`,
        [
          (await texts(page, `${renamedEntry} > p:nth-child(2)`))[0],
          (await texts(page, `${renamedEntry} > ul > li`))[0],
          await page.$$eval(`${renamedEntry} > p:nth-child(2) bdi, ${renamedEntry} > ul bdi`, (l) =>
            l.map((b) => `${b.textContent} ${getComputedStyle(b).unicodeBidi}`),
          ),
          await text(page, "#detail-title"),
          await text(page, "#status"),
          // Nowhere in the page as itself (the rename field holds it as typed: a field is its own paragraph).
          await page.evaluate(() =>
            // biome-ignore lint/suspicious/noControlCharactersInRegex: control characters are what this looks for
            /[\u0000-\u0008\u000b\u000c\u000e-\u001f\u007f-\u009f\u061c\u200e\u200f\u2028\u2029\u202a-\u202e\u2066-\u2069]/.test(
              document.body.textContent ?? "",
            ),
          ),
        ],
        [
          `“${written}” renamed by “operator”`,
          `name: “${machine}” → “${written}”`,
          [`${written} isolate`, "operator isolate", `${machine} isolate`, `${written} isolate`],
          `Key: ${written}`,
          `“${machine}”: Renamed it “${written}”.`,
          false,
        ],
      );
      expectEqual(
        `${size}: an entry from before the rename says the name it kept, and the name now`,
        (await page.$eval("#key-audit > li:nth-child(2) details", (d) => d.textContent ?? "")).includes(
          `Named “${machine}” in this entry, “${written}” now.`,
        ),
        true,
      );
      await check("one key, renamed");
      await page.fill("#d-name", machine);
      await page.click("#rename-form button[type=submit]");
      await page.waitForFunction((m) => document.querySelector("#key-audit > li ul")?.textContent?.endsWith(`→ “${m}”`), machine);
      // A key named as the page's own words reads as a key: quoted, its client_id beside it.
      await page.click("#view-keys");
      await page.click('#key-rows button[aria-label="Manage operator"]');
      await page.waitForSelector("#detail-title:has-text('Key: operator')");
      await page.fill("#d-name", "command line");
      await page.click("#rename-form button[type=submit]");
      await page.waitForFunction(() => /→ “?command line”?$/.test(document.querySelector("#key-audit > li ul")?.textContent ?? ""));
      expectEqual(
        `${size}: a key named "command line" reads as a key, its client_id beside, never as the command line`,
        (await texts(page, "#key-audit > li:first-child > p:nth-child(2)"))[0],
        `“command line” renamed by “command line” (client_id ${operator.client_id})`,
      );
      await page.fill("#d-name", "operator");
      await page.click("#rename-form button[type=submit]");
      await page.waitForFunction(() => /→ “?operator”?$/.test(document.querySelector("#key-audit > li ul")?.textContent ?? ""));

      // The signing keys: a rotation asked for early publishes a next key; tokens already issued unaffected.
      await step(page, "signing");
      await page.click("#view-signing");
      await page.waitForSelector("#signing-rows tr");
      await page.waitForSelector("#signing-audit > li time");
      expectEqual(
        `${size}: the schedule's next step`,
        /^(At the schedule's first run after \d{4}-\d\d-\d\d \d\d:\d\d UTC|Due now)/.test(await text(page, "#signing-next")),
        true,
      );
      await page.click("#signing-rotate");
      await page.waitForSelector("#signing-dialog[open]");
      await check("rotate-now confirmation");
      expectEqual(
        `${size}: what an early rotation does to tokens`,
        await text(page, "#signing-dialog-tokens"),
        "Tokens already issued are not affected: they keep working until they expire.",
      );
      await page.click("#signing-confirm");
      await page.waitForFunction(() => document.getElementById("status")!.textContent!.match(/^(Published|Nothing changed)/));
      await page.waitForSelector("#signing-rows td:has-text('next: published')");
      await check("signing keys");
      await shot(page, "signing", size);

      // An emergency rotation, keyboard only: a token from before it is refused after.
      await step(page, "emergency");
      const earlier = await tokenFor(page, reader.client_id, reader.client_secret);
      expectEqual(
        `${size}: a token from before the emergency, active`,
        (await introspect(String(earlier.body.access_token))).body.active,
        true,
      );
      await page.focus("#signing-emergency");
      await page.keyboard.press("Enter");
      await page.waitForSelector("#signing-dialog[open]");
      expectEqual(
        `${size}: the emergency confirmation says what it revokes, focus on Cancel`,
        [
          (await text(page, "#signing-dialog-tokens")).startsWith("Every token issued so far is revoked, this console's own among them"),
          await active(page),
        ],
        [true, "signing-cancel"],
      );
      await check("emergency confirmation");
      await page.keyboard.press("Shift+Tab");
      expectEqual(`${size}: Shift+Tab to the rotation`, await active(page), "signing-confirm");
      await page.keyboard.press("Enter");
      await page.waitForSelector("#signin:not([hidden])");
      expectEqual(
        `${size}: after the emergency, signed out and told why`,
        (await text(page, "#signin-error")).replace(/key \S+ signs/, "key K signs"),
        "Emergency rotation done: key K signs now, and every token issued before it is revoked, this console's too. Sign in again.",
      );
      expectEqual(
        `${size}: tokens from before the emergency, refused`,
        [(await introspect(String(earlier.body.access_token))).body.active, (await introspect(held)).body.active],
        [false, false],
      );
      held = await signInAsOperator();
      await page.click("#view-signing");
      await page.waitForSelector("#signing-audit > li:has-text('revoked by ')");
      expectEqual(
        `${size}: the emergency in the signing keys' audit trail`,
        (await texts(page, "#signing-audit > li > p:nth-child(2)")).slice(0, 3).map((t) => t.replace(/signing key \S+/, "K")),
        ["K made by “operator”", "K revoked by “operator”", "K revoked by “operator”"],
      );

      // The console's own key given a new secret, keeping nothing: the secret is shown first, and
      // only when it is closed does the page sign out (its token went with the key's others).
      await step(page, "own key");
      await page.click("#view-keys");
      await page.click(`#key-rows button[aria-label="Manage operator"]`);
      await page.waitForSelector("#detail:not([hidden])");
      await page.click("#rotate-secret");
      await page.check('input[name="keep-old"][value="0"]');
      expectEqual(
        `${size}: the console's own key, keeping nothing, says it signs out`,
        (await text(page, "#rotate-consequence")).endsWith("you will be signed out once you have the new secret."),
        true,
      );
      await page.click("#rotate-confirm");
      await page.waitForSelector("#secret-dialog[open] #secret-old:not([hidden])");
      const own = await page.inputValue("#secret-value");
      expectEqual(
        `${size}: its new secret shown before anything else`,
        [await text(page, "#secret-old"), await page.isVisible("#app"), own.length > 40],
        [
          "The old secret no longer works, and every token the key held is revoked, this console's too: you are signed out when this closes.",
          true,
          true,
        ],
      );
      await page.click("#secret-close");
      await page.waitForSelector("#signin:not([hidden])");
      expectEqual(
        `${size}: signed out once the secret is closed, the old secret refused`,
        [await text(page, "#signin-error"), (await tokenFor(page, operator.client_id, operator.client_secret)).status],
        ["The key's tokens were revoked with its old secret, this console's too. Sign in again with the new secret.", 401],
      );
      operator.client_secret = own;
      held = await signInAsOperator();

      // The console's session ends while a shown-once secret is open: the dialog stays, says so
      // inside, and the page signs out only once the operator has closed it. First after a create,
      // the list read behind the secret refused (401: the token revoked meanwhile).
      await step(page, "session ends under a secret");
      const endedWords =
        "This console's session has ended: copy the secret before you close this. It is not shown again, and closing it signs you out.";
      /** An element's text, or null where there is none (no wait). */
      const textOf = (id: string) => page.evaluate((i) => document.getElementById(i)?.textContent ?? null, id);
      const endedSaid = async () => ((await page.isVisible("#secret-ended")) ? await textOf("secret-ended") : "(not said)");
      /** The page's every text and field against the first load's. */
      const asAtFirst = async () => {
        const now = await leftovers(page);
        return [now.text === pristine.text ? "the same text" : now.text, now.fields.filter((f, i) => f !== pristine.fields[i])];
      };
      const sessionKey = `Session check ${size}`;
      const refused = JSON.stringify({ errors: [{ status: "401", code: "invalid_token", detail: "The access token is not active." }] });
      const keysPath = (url: URL) => url.pathname === "/v2/application-keys";
      const refuseReads = (route: Route) =>
        route.request().method() === "GET"
          ? route.fulfill({ status: 401, contentType: "application/json", body: refused })
          : route.continue();
      await page.route(keysPath, refuseReads);
      await page.click("#new-key");
      await page.fill("#c-name", sessionKey);
      await page.click("#create-form button[type=submit]");
      await page.waitForSelector("#secret-ended:not([hidden]), #signin:not([hidden])");
      const made = { client: await page.inputValue("#secret-client"), secret: await page.inputValue("#secret-value") };
      expectEqual(
        `${size}: the session ended behind a new key's secret: the secret still shown, the end said inside`,
        [
          await page.isVisible("#secret-dialog"),
          await endedSaid(),
          made.secret.length > 40,
          (await tokenFor(page, made.client, made.secret)).status,
        ],
        [true, endedWords, true, 200],
      );
      await check("the secret, the session ended");
      if (await page.isVisible("#secret-close")) await page.click("#secret-close");
      await page.waitForSelector("#signin:not([hidden])");
      await page.unroute(keysPath, refuseReads);
      expectEqual(
        `${size}: signed out once the secret was closed, the page as at its first load`,
        [await text(page, "#signin-error"), await asAtFirst()],
        ["Your session ended: the token expired or was revoked. Sign in again.", ["the same text", []]],
      );

      // The token expires while a new secret is open whose old one ended at once ("Not at all").
      held = await signInAsOperator();
      await openKey(sessionKey);
      await page.click("#rotate-secret");
      await page.check('input[name="keep-old"][value="0"]');
      await page.click("#rotate-confirm");
      await page.waitForSelector("#secret-dialog[open] #secret-old:not([hidden])");
      const renewed = await page.inputValue("#secret-value");
      await page.clock.fastForward("02:00:00");
      await page.waitForSelector("#secret-ended:not([hidden]), #signin:not([hidden])");
      expectEqual(
        `${size}: the token expired under a new secret, the old one ended: the secret still shown, the end said inside`,
        [
          await page.isVisible("#secret-dialog"),
          await endedSaid(),
          (await page.inputValue("#secret-value")) === renewed,
          (await tokenFor(page, made.client, renewed)).status,
          (await tokenFor(page, made.client, made.secret)).status,
        ],
        [true, endedWords, true, 200, 401],
      );
      // Escape asks first, as ever; "Close, it is gone" closes it, and only then is the page signed out.
      await page.keyboard.press("Escape");
      expectEqual(
        `${size}: Escape still asks before the secret is gone`,
        [await page.isVisible("#secret-dialog"), await active(page)],
        [true, "secret-stay"],
      );
      await page.keyboard.press("Tab");
      await page.keyboard.press("Enter");
      await page.waitForSelector("#signin:not([hidden])");
      expectEqual(
        `${size}: signed out at the token's expiry once the secret was closed, the page as at its first load`,
        [await text(page, "#signin-error"), await asAtFirst()],
        ["Your token expired: sign in again.", ["the same text", []]],
      );
      // The page's clock back to the real one, for the tokens that follow.
      await page.clock.setSystemTime(Date.now());

      // A new secret made as the token expires, its answer still on its way: shown once it arrives.
      held = await signInAsOperator();
      await openKey(sessionKey);
      let answered = () => {};
      let release = () => {};
      const fetchedAnswer = new Promise<void>((r) => {
        answered = r;
      });
      const released = new Promise<void>((r) => {
        release = r;
      });
      const rotationPath = (url: URL) => url.pathname.endsWith("/secret");
      const holdAnswer = async (route: Route) => {
        const response = await route.fetch();
        answered();
        await released;
        await route.fulfill({ response });
      };
      await page.route(rotationPath, holdAnswer);
      await page.click("#rotate-secret");
      await page.click("#rotate-confirm");
      await fetchedAnswer;
      await page.clock.fastForward("02:00:00");
      await page.waitForSelector("#signin:not([hidden])");
      release();
      const arrived = await page.waitForSelector("#secret-dialog[open]", { timeout: 5000 }).then(
        () => true,
        () => false,
      );
      const late = await page.inputValue("#secret-value");
      expectEqual(
        `${size}: a secret made as the token expired, its answer arriving after: shown, the end said inside`,
        [arrived, await endedSaid(), late.length > 40 && late !== renewed, (await tokenFor(page, made.client, late)).status],
        [true, endedWords, true, 200],
      );
      if (arrived) await page.click("#secret-close");
      await page.waitForSelector("#secret-dialog", { state: "hidden" });
      await page.unroute(rotationPath, holdAnswer);
      expectEqual(
        `${size}: closed, the page signed out as at its first load`,
        [await text(page, "#signin-error"), await page.isVisible("#signin"), await asAtFirst()],
        ["Your token expired: sign in again.", true, ["the same text", []]],
      );
      await page.clock.setSystemTime(Date.now());
      held = await signInAsOperator();
      await openKey(sessionKey);
      await page.click("#delete-key");
      await page.click("#delete-confirm");
      await page.waitForFunction((n) => document.querySelectorAll("#key-rows tr").length === n, listed.length);

      // Sign out: the token revoked, then forgotten; nothing kept, every message and field gone.
      await step(page, "sign out");
      const heldActive = () => introspect(held);
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
      const after = await leftovers(page);
      expectEqual(
        `${size}: every message and field as at first load`,
        [after.text === pristine.text ? "the same text" : after.text, after.fields.filter((f, i) => f !== pristine.fields[i])],
        ["the same text", []],
      );

      // A token without application_keys or signing_keys: the controls are disabled, and say why.
      await step(page, "no rights");
      await page.fill("#signin-id", reader.client_id);
      await page.fill("#signin-secret", reader.client_secret);
      await page.press("#signin-secret", "Enter");
      await page.waitForSelector("#rights:not([hidden])");
      await page.waitForFunction(() => document.getElementById("key-rows")!.textContent!.includes("application_keys scope"));
      expectEqual(
        `${size}: a token without application_keys`,
        [await page.isDisabled("#new-key"), await text(page, "#rights"), await text(page, "#key-rows"), await text(page, "#status")],
        [
          true,
          "This token's scope is “read write”: seeing and changing application keys needs application_keys. The controls below are disabled.",
          "Managing application keys needs a token with the application_keys scope.",
          "",
        ],
      );
      await check("keys without application_keys");
      await page.click("#view-signing");
      await page.waitForSelector("#signing-rights:not([hidden])");
      expectEqual(
        `${size}: a token without signing_keys`,
        [await page.isDisabled("#signing-rotate"), await page.isDisabled("#signing-emergency"), await text(page, "#signing-rights")],
        [
          true,
          true,
          "This token's scope is “read write”: seeing and rotating the signing keys needs signing_keys. Sign in with a key that holds it; the controls below are disabled.",
        ],
      );
      await check("signing keys without signing_keys");

      // The token expires: the page signs out by itself, and says why.
      await page.clock.fastForward("02:00:00");
      await page.waitForSelector("#signin:not([hidden])");
      expectEqual(
        `${size}: signed out at the token's expiry`,
        [await text(page, "#signin-error"), await page.isHidden("#app")],
        ["Your token expired: sign in again.", true],
      );

      expectEqual(`${size}: CSP violations`, await page.evaluate(() => (window as unknown as { __violations: string[] }).__violations), []);
      const shifts = await page.evaluate(() => {
        const w = window as unknown as { __shift: number; __shifts: string[] };
        return { __shift: w.__shift, __shifts: w.__shifts };
      });
      console.log(`     ${size}: cumulative layout shift ${shifts.__shift.toFixed(3)}`);
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
  summary();
  console.log(failures.length === 0 ? "test:browser (console): passed" : `test:browser (console): FAILED: ${failures.join("; ")}`);
  return failures.length === 0 ? 0 : 1;
}

/** `actual` when it matches `pattern`, so that an exact list can hold a value known only by its shape. */
function expect1(actual: string, pattern: RegExp): string {
  return pattern.test(actual) ? actual : `${actual} (not ${pattern})`;
}

process.exit(await main());
