/**
 * The console's session (docs/console.md): signing in (the secret sent once to the token
 * endpoint and its field cleared) and out (the token revoked, then forgotten, and every message
 * and field of the page cleared for whoever signs in next; while a shown-once secret is open, only
 * once the operator has closed it), who is signed in, and the token's rights: what its scope does
 * not allow is disabled, saying why.
 */
export const SESSION_JS = `const KEYS_RIGHT = "application_keys";
const SIGNING_RIGHT = "signing_keys";
// How long "Sign out" waits for the revocation before it forgets the token anyway.
const REVOKE_WAIT_MS = 3000;
// Why the session ended while a shown-once secret was open: the page signs out with it once that dialog is closed.
let endedUnder = null;

function claimsOf(token) {
  const part = token.split(".")[1].replace(/-/g, "+").replace(/_/g, "/");
  return JSON.parse(atob(part + "===".slice((part.length + 3) % 4)));
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
