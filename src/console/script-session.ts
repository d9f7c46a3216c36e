/**
 * The console script's ground (docs/console.md): calls to the admin API with the token held in
 * this module's variable only (no storage, no cookie), errors shown by the field they name,
 * dialogs that keep focus inside while open, the views, signing in (the secret sent once and its
 * field cleared) and out (the token revoked, then forgotten, and every message and field of the
 * page cleared for whoever signs in next; while a shown-once secret is open, only once the
 * operator has closed it), and the token's rights. A key's name is shown as named() makes it.
 */
export const SESSION_JS = String.raw`const $ = (id) => document.getElementById(id);
const PAGE = 10;
const KEYS_RIGHT = "application_keys";
const SIGNING_RIGHT = "signing_keys";
// How long "Sign out" waits for the revocation before it forgets the token anyway.
const REVOKE_WAIT_MS = 3000;
let session = null;
let keysPage = 0;
let current = null;
let busy = 0;
// The keys listed now, for names in place of ids: { clients, keys, complete, all } (audit-words' names).
let names = null;
// Why the session ended while a shown-once secret was open: the page signs out with it once that dialog is closed.
let endedUnder = null;

class ApiError extends Error {
  constructor(status, body) {
    const e = (body && body.errors && body.errors[0]) || {};
    super(e.detail || "The service answered " + status + ".");
    this.status = status;
    this.code = e.code;
    const named = /"data\.([a-z_]+)/.exec(this.message);
    this.field = named ? named[1] : undefined;
  }
}

/**
 * What the last action did, for everyone (an ARIA live region at the foot of the screen); requests
 * in flight show above it. Its words, or its parts: words, and nodes such as a key's name.
 */
function setStatus(said) {
  $("status").replaceChildren(...partsOf(said));
}

/** Words fitted, nodes as they are: what a line of the page is made of. */
const partsOf = (said) => (Array.isArray(said) ? said : [said]).flatMap((p) => (typeof p === "string" ? fitted(p) : [p]));

/**
 * A key's name in a sentence: quoted, in a <bdi> of its own (isolated: a right-to-left name cannot
 * turn the words around it), its control and bidi characters written out (audit-words' nameText).
 * Whoever may rename a key chooses it, so it never passes for the page's own words.
 */
function named(name) {
  const span = el("span", null, { class: "name" });
  span.append("“", el("bdi", nameText(name)), "”");
  return span;
}

/** A key's name where nothing but a name stands (a list's cell, a title after its label): isolated and written out, unquoted. */
const nameOnly = (name) => el("bdi", plainText(name));

/**
 * Text for a narrow screen: its times ("2026-12-07 10:02 UTC") and short kids ("aSI-4fQx…") kept
 * on one line each, where a browser would otherwise break them at a hyphen.
 */
function fitted(text) {
  return String(text)
    .split(/(\d{4}-\d\d-\d\d(?: \d\d:\d\d(?::\d\d)?)?(?: UTC)?|[\w-]{8}…)/)
    .map((part, i) => (i % 2 === 1 ? el("span", part, { class: "nowrap" }) : part))
    .filter((part) => part !== "");
}

/** Sets an element's words, fitted. */
function say(id, text) {
  $(id).replaceChildren(...fitted(text));
}

function showBusy() {
  if (busy > 0) $("busy").setAttribute("data-busy", "");
  else $("busy").removeAttribute("data-busy");
}

async function request(path, init) {
  busy++;
  showBusy();
  try {
    return await fetch(path, init);
  } finally {
    busy--;
    showBusy();
  }
}

/** Never settles: what a call answers once its session has ended, so nothing of it reaches the next operator's page. */
const forgotten = () => new Promise(() => {});

/**
 * A call to the admin API as the session's token. An answer that arrives once the session has
 * ended is dropped, but for o.shownOnce (a new secret, made before the end): that one is still
 * the operator's to copy, as long as nobody has signed in since.
 */
async function api(path, method, data, o) {
  const held = session;
  if (!held) return forgotten();
  const headers = { Authorization: "Bearer " + held.token };
  let body;
  if (data !== undefined) {
    headers["Content-Type"] = "application/json";
    body = JSON.stringify({ data: data });
  }
  const res = await request(path, { method: method || "GET", headers: headers, body: body });
  const parsed = res.status === 204 ? null : await res.json().catch(() => null);
  if (session !== held) return o && o.shownOnce && session === null && res.ok ? parsed : forgotten();
  if (res.status === 401) {
    signOut("Your session ended: the token expired or was revoked. Sign in again.");
    return forgotten();
  }
  if (!res.ok) throw new ApiError(res.status, parsed);
  return parsed;
}

function claimsOf(token) {
  const part = token.split(".")[1].replace(/-/g, "+").replace(/_/g, "/");
  return JSON.parse(atob(part + "===".slice((part.length + 3) % 4)));
}

function el(tag, text, attrs) {
  const node = document.createElement(tag);
  if (text !== undefined && text !== null) node.textContent = String(text);
  for (const [k, v] of Object.entries(attrs || {})) node.setAttribute(k, v);
  return node;
}

/** An id (client_id, key id, kid): small monospace that never wraps. */
const idNode = (text) => el("code", text, { class: "id" });

const day = (iso) => (iso ? new Date(iso).toISOString().slice(0, 16).replace("T", " ") + " UTC" : "—");

function clearErrors(root) {
  for (const p of root.querySelectorAll(".error")) p.textContent = "";
  for (const i of root.querySelectorAll("[aria-invalid]")) i.removeAttribute("aria-invalid");
}

/** An API error next to the field it names, or in the form's own line. */
function showError(prefix, error, fallback) {
  const target = error.field && $(prefix + error.field + "-error");
  (target || $(fallback)).textContent = error.message;
  const input = error.field && document.querySelector('[aria-describedby~="' + prefix + error.field + '-error"]');
  if (input) {
    input.setAttribute("aria-invalid", "true");
    if (input.focus) input.focus();
  }
}

/** Adds or takes away one id in an element's aria-describedby, keeping the others. */
function describedBy(node, id, on) {
  const ids = (node.getAttribute("aria-describedby") || "").split(" ").filter((x) => x && x !== id);
  if (on) ids.push(id);
  if (ids.length) node.setAttribute("aria-describedby", ids.join(" "));
  else node.removeAttribute("aria-describedby");
}

// Dialogs: modal, focus kept inside while open (Tab and Shift+Tab wrap), and given back on close.

const returnTo = new Map();

function focusables(root) {
  return [...root.querySelectorAll("button, input, select, textarea, summary, a[href], [tabindex]:not([tabindex='-1'])")].filter(
    (n) => !n.disabled && !n.closest("[hidden]") && n.getClientRects().length > 0 && !(n.type === "radio" && !n.checked),
  );
}

function openDialog(dialog, focus, back) {
  returnTo.set(dialog, back || document.activeElement);
  dialog.showModal();
  (focus || focusables(dialog)[0]).focus();
}

for (const dialog of document.querySelectorAll("dialog")) {
  dialog.addEventListener("keydown", (event) => {
    if (event.key !== "Tab") return;
    const items = focusables(dialog);
    if (items.length === 0) return;
    const first = items[0];
    const last = items[items.length - 1];
    const at = document.activeElement;
    if (event.shiftKey && (at === first || !dialog.contains(at))) {
      event.preventDefault();
      last.focus();
    } else if (!event.shiftKey && (at === last || !dialog.contains(at))) {
      event.preventDefault();
      first.focus();
    }
  });
  dialog.addEventListener("close", () => {
    const back = returnTo.get(dialog);
    returnTo.delete(dialog);
    if (session && back && back.isConnected && !back.closest("[hidden]") && !back.disabled) back.focus();
  });
}

// Views: one at a time, its heading focused.

const VIEWS = ["keys", "create", "detail", "audit", "signing"];
const NAV_OF = { keys: "keys", create: "keys", detail: "keys", audit: "audit", signing: "signing" };

function showView(name, focus) {
  for (const v of VIEWS) $(v).hidden = v !== name;
  for (const b of document.querySelectorAll("[data-view]")) {
    if (b.dataset.view === NAV_OF[name]) b.setAttribute("aria-current", "page");
    else b.removeAttribute("aria-current");
  }
  $("rights").hidden = !session || session.scope.includes(KEYS_RIGHT) || name === "signing";
  if (focus !== false) $(name + "-title").focus();
}

// Going elsewhere: the last action's line has been read.
$("view-keys").addEventListener("click", () => {
  setStatus("");
  current = null;
  showView("keys");
  loadKeys();
});
$("view-audit").addEventListener("click", () => {
  setStatus("");
  current = null;
  showView("audit");
  deploymentAudit.load();
});
$("view-signing").addEventListener("click", () => {
  setStatus("");
  current = null;
  showView("signing");
  loadSigning();
});

// Signing in and out

$("signin-form").addEventListener("submit", async (event) => {
  event.preventDefault();
  const id = $("signin-id").value.trim();
  const secret = $("signin-secret").value;
  $("signin-error").textContent = "";
  if (!id || !secret) {
    $("signin-error").textContent = "Both the client_id and the client_secret are needed.";
    return;
  }
  const res = await request("/oauth/access_token", {
    method: "POST",
    headers: { "Content-Type": "application/x-www-form-urlencoded" },
    body: new URLSearchParams({ grant_type: "client_credentials", client_id: id, client_secret: secret }),
  });
  $("signin-secret").value = "";
  const body = await res.json().catch(() => null);
  if (!res.ok) {
    $("signin-error").textContent = new ApiError(res.status, body).message;
    $("signin-secret").focus();
    return;
  }
  clearPage();
  const claims = claimsOf(body.access_token);
  session = { token: body.access_token, scope: (claims.scope || "").split(" "), clientId: id, exp: claims.exp };
  session.timer = setTimeout(() => signOut("Your token expired: sign in again."), Math.max(0, claims.exp * 1000 - Date.now()));
  $("signin").hidden = true;
  $("app").hidden = false;
  $("sign-out").hidden = false;
  showWho();
  applyRights();
  showView("keys");
  await Promise.all([loadKeys(), loadNames(), loadScopes()]);
});

/** Who is signed in: the key's name once the list has it, its client_id until then; until when. */
function showWho() {
  if (!session) return;
  const name = names && names.clients[session.clientId];
  let who = idNode(session.clientId);
  if (name !== undefined && name !== null) {
    who = el("strong", null, { title: "client_id " + session.clientId });
    who.append(named(name));
  }
  $("who-text").replaceChildren("Signed in as ", who, ", until " + new Date(session.exp * 1000).toISOString().slice(11, 16) + " UTC");
}

// Words the page changes for one key or one rotation, as the page first had them.
const PRISTINE = new Map(
  ["detail-title", "secret-title", "rotate-title", "rotate-confirm", "signing-dialog-title", "signing-confirm", "signing-retired-title"].map((id) => [
    id,
    { text: $(id).textContent, className: $(id).className },
  ]),
);

/**
 * Everything the last operator saw or typed, gone: every form and field, every message and
 * status line, every list, every dialog, every title that named a key. What the sign-in page
 * then says is set after.
 */
function clearPage() {
  for (const d of document.querySelectorAll("dialog")) if (d.open) d.close();
  for (const form of document.querySelectorAll("form")) form.reset();
  for (const field of document.querySelectorAll("input:not([type=checkbox]):not([type=radio]), textarea")) field.value = "";
  clearErrors(document);
  for (const id of [
    "key-rows", "audit-rows", "key-audit", "detail-facts", "usage-bars", "signing-rows", "signing-retired", "signing-audit",
    "status", "who-text", "keys-page", "audit-page", "key-audit-page", "signing-audit-page", "signing-next", "signing-kek",
    "secret-copied", "secret-old", "rights", "signing-rights", "d-secret-text", "delete-text", "signing-dialog-text",
    "signing-dialog-tokens", "signing-dialog-error", "rotate-consequence", "c-scope-hint",
  ]) $(id).replaceChildren();
  for (const [id, was] of PRISTINE) {
    $(id).textContent = was.text;
    $(id).className = was.className;
  }
  for (const option of [...$("audit-key").options].slice(1)) option.remove();
  for (const id of [
    "rights", "signing-rights", "signing-kek", "usage", "c-jwks-box", "d-jwks-box", "secret-leave", "secret-old", "secret-ended", "create", "detail", "audit", "signing",
  ]) $(id).hidden = true;
  $("keys").hidden = false;
  $("signing-retired-box").open = false;
  for (const b of document.querySelectorAll(".pager button")) b.disabled = true;
  keysPage = 0;
  current = null;
  names = null;
  keyAuditOf = null;
  signingState = null;
  for (const trail of [deploymentAudit, keyAudit, signingAudit]) trail.reset();
}

/**
 * Signs out: the token forgotten, the page cleared, why said. While a shown-once secret is open,
 * the secret comes first: the dialog stays (only the operator closes it), says inside that the
 * session has ended (o.said: the dialog has said so already), and the page signs out when it is
 * closed. Nothing can be asked of the API meanwhile.
 */
function signOut(why, o) {
  if (session) clearTimeout(session.timer);
  session = null;
  if ($("secret-dialog").open) {
    if (endedUnder === null) endedUnder = why || "";
    if (!(o && o.said)) $("secret-ended").hidden = false;
    return;
  }
  endedUnder = null;
  clearPage();
  $("app").hidden = true;
  $("sign-out").hidden = true;
  $("signin").hidden = false;
  say("signin-error", why || "");
  $("signin-id").focus();
}

/**
 * Revokes the token the page holds, as its bearer (RFC 7009: the holder of a token may revoke
 * it), waiting a few seconds at most. Signing out never hangs on it: a page offline or a service
 * that does not answer still forgets the token, which then lives until its exp.
 */
async function revokeHeld(token) {
  try {
    await request("/oauth/revoke", {
      method: "POST",
      headers: { Authorization: "Bearer " + token, "Content-Type": "application/x-www-form-urlencoded" },
      body: new URLSearchParams({ token: token }),
      signal: AbortSignal.timeout(REVOKE_WAIT_MS),
    });
  } catch {
    // Aborted or unreachable: forgotten all the same.
  }
}

$("sign-out").addEventListener("click", async () => {
  const held = session;
  if (!held) return;
  await revokeHeld(held.token);
  // The token may have expired while the revocation was on its way: that sign-out says why.
  if (session === held) signOut("Signed out.");
});

/** Controls the token's scope does not allow: disabled, with the reason. The API decides regardless. */
function applyRights() {
  const scope = session.scope;
  const said = "This token's scope is “" + scope.join(" ") + "”: ";
  const mayKeys = scope.includes(KEYS_RIGHT);
  const maySigning = scope.includes(SIGNING_RIGHT);
  $("rights").textContent = mayKeys ? "" : said + "seeing and changing application keys needs " + KEYS_RIGHT + ". The controls below are disabled.";
  $("signing-rights").hidden = maySigning;
  $("signing-rights").textContent = maySigning
    ? ""
    : said + "seeing and rotating the signing keys needs " + SIGNING_RIGHT + ". Sign in with a key that holds it; the controls below are disabled.";
  for (const control of document.querySelectorAll("[data-needs]")) {
    const may = scope.includes(control.dataset.needs);
    control.disabled = !may;
    describedBy(control, control.dataset.needs === SIGNING_RIGHT ? "signing-rights" : "rights", !may);
  }
}
`;
