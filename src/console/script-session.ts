/**
 * The console script's ground (docs/console.md): calls to the admin API with the token held in
 * this module's variable only (no storage, no cookie), errors shown by the field they name,
 * signing in (the secret sent once and its field cleared) and out (the token revoked, then
 * forgotten), and the token's rights.
 */
export const SESSION_JS = String.raw`const $ = (id) => document.getElementById(id);
const PAGE = 10;
const NEEDED = "application_keys";
// How long "Sign out" waits for the revocation before it forgets the token anyway.
const REVOKE_WAIT_MS = 3000;
let session = null;
let keysPage = 0;
let current = null;
let busy = 0;

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

/** What the last action did, for everyone (an ARIA live region); requests in flight show beside it. */
function setStatus(text) {
  $("status").textContent = text;
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

async function api(path, method, data) {
  if (!session) throw new ApiError(401, null);
  const headers = { Authorization: "Bearer " + session.token };
  let body;
  if (data !== undefined) {
    headers["Content-Type"] = "application/json";
    body = JSON.stringify({ data: data });
  }
  const res = await request(path, { method: method || "GET", headers: headers, body: body });
  const parsed = res.status === 204 ? null : await res.json().catch(() => null);
  if (res.status === 401) {
    signOut("Your session ended: the token expired or was revoked. Sign in again.");
    throw new ApiError(401, parsed);
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

const day = (iso) => (iso ? new Date(iso).toISOString().slice(0, 16).replace("T", " ") + " UTC" : "—");
const quotaText = (q) => (q ? [q.per_hour ? q.per_hour + " / hour" : "", q.per_day ? q.per_day + " / day" : ""].filter(Boolean).join(", ") : "—");

function clearErrors(form) {
  for (const p of form.querySelectorAll(".error")) p.textContent = "";
  for (const i of form.querySelectorAll("[aria-invalid]")) i.removeAttribute("aria-invalid");
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
  const claims = claimsOf(body.access_token);
  session = { token: body.access_token, scope: (claims.scope || "").split(" "), clientId: id, exp: claims.exp };
  session.timer = setTimeout(() => signOut("Your token expired: sign in again."), Math.max(0, claims.exp * 1000 - Date.now()));
  $("signin").hidden = true;
  $("app").hidden = false;
  $("who").hidden = false;
  $("who-text").textContent = "Signed in as " + id + ", until " + day(new Date(claims.exp * 1000).toISOString());
  applyRights();
  keysPage = 0;
  deploymentAudit.reset();
  await Promise.all([loadKeys(), loadAudit(), loadScopes()]);
  $("keys-title").focus();
});

function signOut(why) {
  if (session) clearTimeout(session.timer);
  session = null;
  current = null;
  for (const id of ["key-rows", "audit-rows", "key-audit", "detail-facts", "usage-bars"]) $(id).replaceChildren();
  for (const d of document.querySelectorAll("dialog")) if (d.open) d.close();
  $("app").hidden = true;
  $("who").hidden = true;
  $("create").hidden = true;
  $("detail").hidden = true;
  $("signin").hidden = false;
  $("signin-error").textContent = why || "";
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
  const may = session.scope.includes(NEEDED);
  $("rights").hidden = may;
  $("rights").textContent = may
    ? ""
    : "This token's scope is “" + session.scope.join(" ") + "”: seeing and changing application keys needs " + NEEDED + ". The controls below are disabled.";
  for (const control of document.querySelectorAll("[data-needs]")) {
    control.disabled = !may;
    if (!may) control.setAttribute("aria-describedby", "rights");
    else control.removeAttribute("aria-describedby");
  }
}
`;
