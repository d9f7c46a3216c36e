/**
 * The console's one script (docs/console.md), browser JavaScript served as /console/console.js.
 * It holds the token in a variable of this module and nowhere else: no storage, no cookie; the
 * secret is sent once to the token endpoint and the field cleared. Everything from the API is
 * put into the page as text, never as markup. The admin API's own answers decide; the page
 * only disables what the token's scope cannot do, saying why.
 */
export const CONSOLE_JS = String.raw`const $ = (id) => document.getElementById(id);
const PAGE = 10;
const NEEDED = "application_keys";
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
$("sign-out").addEventListener("click", () => signOut("Signed out."));

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

// The key list

async function loadKeys() {
  const query = $("search").value.trim().toLowerCase();
  let rows;
  let total;
  try {
    if (query) {
      const all = [];
      for (let offset = 0; offset < 1000; offset += 100) {
        const page = await api("/v2/application-keys?page[limit]=100&page[offset]=" + offset);
        all.push(...page.data);
        if (all.length >= page.meta.results.total || page.data.length === 0) break;
      }
      const found = all.filter((k) => k.name.toLowerCase().includes(query) || k.client_id.includes(query));
      total = found.length;
      rows = found.slice(keysPage * PAGE, keysPage * PAGE + PAGE);
    } else {
      const page = await api("/v2/application-keys?page[limit]=" + PAGE + "&page[offset]=" + keysPage * PAGE);
      rows = page.data;
      total = page.meta.results.total;
    }
  } catch (error) {
    $("key-rows").replaceChildren(rowOf([el("td", error.message, { colspan: "9" })]));
    $("keys-page").textContent = "";
    return;
  }
  $("key-rows").replaceChildren(
    ...(rows.length === 0 ? [rowOf([el("td", query ? "No key matches." : "No keys yet.", { colspan: "9" })])] : rows.map(keyRow)),
  );
  const pages = Math.max(1, Math.ceil(total / PAGE));
  $("keys-page").textContent = "Page " + (keysPage + 1) + " of " + pages + " (" + total + " keys)";
  $("keys-prev").disabled = keysPage === 0;
  $("keys-next").disabled = keysPage + 1 >= pages;
}

function rowOf(cells) {
  const tr = document.createElement("tr");
  tr.append(...cells);
  return tr;
}

function keyRow(k) {
  const manage = el("button", "Manage", { type: "button", "aria-label": "Manage " + k.name });
  manage.addEventListener("click", () => openKey(k.id));
  const id = el("td");
  id.append(el("code", k.client_id));
  const actions = el("td");
  actions.append(manage);
  return rowOf([
    el("td", k.name),
    id,
    el("td", k.scope),
    el("td", k.grant_types.join(", ")),
    el("td", k.token_endpoint_auth_method),
    el("td", quotaText(k.token_quota)),
    el("td", day(k.meta.timestamps.created_at)),
    el("td", day(k.meta.timestamps.updated_at)),
    actions,
  ]);
}

let searching;
$("search").addEventListener("input", () => {
  clearTimeout(searching);
  searching = setTimeout(() => {
    keysPage = 0;
    loadKeys();
  }, 250);
});
$("keys-prev").addEventListener("click", () => {
  keysPage = Math.max(0, keysPage - 1);
  loadKeys();
});
$("keys-next").addEventListener("click", () => {
  keysPage++;
  loadKeys();
});

async function loadScopes() {
  const res = await request("/.well-known/oauth-authorization-server");
  const meta = await res.json().catch(() => ({}));
  if (Array.isArray(meta.scopes_supported)) $("c-scope-hint").textContent = "From: " + meta.scopes_supported.join(" ") + ". Empty: the deployment's default.";
}

// Creating a key

$("new-key").addEventListener("click", () => {
  $("create").hidden = false;
  $("c-name").focus();
});
$("create-cancel").addEventListener("click", () => {
  $("create-form").reset();
  clearErrors($("create-form"));
  $("c-jwks-box").hidden = true;
  $("create").hidden = true;
  $("new-key").focus();
});
$("c-auth").addEventListener("change", () => {
  $("c-jwks-box").hidden = $("c-auth").value !== "private_key_jwt";
});
$("c-jwks-file").addEventListener("change", async () => {
  const file = $("c-jwks-file").files[0];
  if (file) $("c-jwks").value = await file.text();
});

$("create-form").addEventListener("submit", async (event) => {
  event.preventDefault();
  const form = $("create-form");
  clearErrors(form);
  const data = { type: "application_key", name: $("c-name").value };
  const scope = $("c-scope").value.trim();
  if (scope) data.scope = scope;
  data.grant_types = [...form.querySelectorAll('input[name="grant"]:checked')].map((i) => i.value);
  if ($("c-auth").value === "private_key_jwt") {
    data.token_endpoint_auth_method = "private_key_jwt";
    try {
      data.jwks = JSON.parse($("c-jwks").value);
    } catch {
      $("c-jwks-error").textContent = "The key set is not valid JSON: paste {\"keys\":[…]}.";
      $("c-jwks").setAttribute("aria-invalid", "true");
      $("c-jwks").focus();
      return;
    }
  }
  if ($("c-dpop").checked) data.dpop_bound_access_tokens = true;
  const quota = {};
  if ($("c-per-hour").value) quota.per_hour = Number($("c-per-hour").value);
  if ($("c-per-day").value) quota.per_day = Number($("c-per-day").value);
  if (Object.keys(quota).length > 0) data.token_quota = quota;
  try {
    const created = await api("/v2/application-keys", "POST", data);
    form.reset();
    $("c-jwks-box").hidden = true;
    $("create").hidden = true;
    await Promise.all([loadKeys(), loadAudit()]);
    if (created.data.client_secret) showSecret(created.data);
    else setStatus("Created " + created.data.name + ": it holds no secret, and proves itself with its keys.");
  } catch (error) {
    showError("c-", error, "create-error");
  }
});

function showSecret(key) {
  $("secret-value").value = key.client_secret;
  $("secret-client").value = key.client_id;
  $("secret-copied").textContent = "";
  $("secret-dialog").showModal();
  $("secret-value").select();
}
$("secret-copy").addEventListener("click", async () => {
  try {
    await navigator.clipboard.writeText($("secret-value").value);
    $("secret-copied").textContent = "Copied.";
  } catch {
    $("secret-value").select();
    $("secret-copied").textContent = "Copying was refused here: it is selected, copy it with the keyboard.";
  }
});
$("secret-dialog").addEventListener("close", () => {
  $("secret-value").value = "";
  $("secret-client").value = "";
  $("new-key").focus();
});
$("secret-close").addEventListener("click", () => {
  $("secret-value").value = "";
  $("secret-dialog").close();
});

// One key: its facts, quota use, changes, deletion and audit trail

async function openKey(id) {
  try {
    const { data } = await api("/v2/application-keys/" + encodeURIComponent(id));
    current = data;
  } catch (error) {
    setStatus(error.message);
    return;
  }
  const k = current;
  $("detail-title").textContent = "Key: " + k.name;
  const facts = [
    ["client_id", k.client_id],
    ["Scope", k.scope],
    ["Grant types", k.grant_types.join(", ")],
    ["Auth method", k.token_endpoint_auth_method],
    ["DPoP-bound", k.dpop_bound_access_tokens ? "yes" : "no"],
    ["Quota", quotaText(k.token_quota)],
    ["Created", day(k.meta.timestamps.created_at) + (k.meta.created_by ? " by " + k.meta.created_by : "")],
    ["Updated", day(k.meta.timestamps.updated_at)],
  ];
  $("detail-facts").replaceChildren(...facts.flatMap(([t, d]) => [el("dt", t), el("dd", d)]));
  $("d-name").value = k.name;
  $("d-scope").value = k.scope;
  for (const box of document.querySelectorAll('input[name="d-grant"]')) box.checked = k.grant_types.includes(box.value);
  clearErrors($("detail"));
  $("detail").hidden = false;
  $("detail-title").setAttribute("tabindex", "-1");
  $("detail-title").focus();
  await Promise.all([loadUsage(k), keyAudit.load(k.id)]);
}

async function loadUsage(k) {
  $("usage").hidden = !k.token_quota;
  $("usage-bars").replaceChildren();
  if (!k.token_quota) return;
  try {
    const { data } = await api("/v2/application-keys/" + encodeURIComponent(k.id) + "/usage");
    for (const [name, w] of [["This hour", data.hour], ["Today (UTC)", data.day]]) {
      if (!w) continue;
      const id = "usage-" + name.length;
      const label = el("label", name + ": " + w.used + " of " + w.limit + " tokens (starts over " + day(w.resets_at) + ")", { for: id });
      const bar = el("progress", null, { id: id, max: String(w.limit), value: String(Math.min(w.used, w.limit)), class: "bar" });
      $("usage-bars").append(label, bar);
    }
  } catch (error) {
    $("usage-bars").replaceChildren(el("p", error.message, { class: "error" }));
  }
}

function change(entry) {
  const o = entry.old || {};
  const n = entry.new || {};
  const parts = [];
  for (const f of ["name", "scope", "grant_types", "token_quota"]) {
    const a = JSON.stringify(o[f]);
    const b = JSON.stringify(n[f]);
    if (entry.action === "create" && b !== undefined) parts.push(f + " " + b);
    else if (entry.action !== "create" && a !== b) parts.push(f + " " + (a || "—") + " → " + (b || "—"));
  }
  return parts.join("; ");
}

function auditItem(e) {
  const li = el("li");
  const time = el("time", day(e.at), { datetime: e.at });
  li.append(time, document.createTextNode(" · " + e.actor + " · " + e.action + " · key " + e.key_id + (change(e) ? " · " + change(e) : "")));
  return li;
}

$("rename-form").addEventListener("submit", async (event) => {
  event.preventDefault();
  clearErrors($("detail"));
  await changeKey({ name: $("d-name").value }, "d-");
});
$("scope-form").addEventListener("submit", async (event) => {
  event.preventDefault();
  clearErrors($("detail"));
  const grants = [...document.querySelectorAll('input[name="d-grant"]:checked')].map((i) => i.value);
  await changeKey({ scope: $("d-scope").value.trim(), grant_types: grants }, "d-");
});

async function changeKey(attributes, prefix) {
  try {
    await api("/v2/application-keys/" + encodeURIComponent(current.id), "PUT", Object.assign({ type: "application_key" }, attributes));
    setStatus("Saved.");
    await Promise.all([openKey(current.id), loadKeys(), loadAudit()]);
  } catch (error) {
    showError(prefix, error, "detail-error");
  }
}

$("delete-key").addEventListener("click", () => {
  $("delete-text").textContent =
    "Deleting “" + current.name + "” (client_id " + current.client_id + ") revokes every token it was ever issued: refused here at once, everywhere within about a minute. It can never get another token, and this cannot be undone.";
  $("delete-dialog").showModal();
  $("delete-cancel").focus();
});
$("delete-cancel").addEventListener("click", () => $("delete-dialog").close());
$("delete-confirm").addEventListener("click", async () => {
  $("delete-dialog").close();
  try {
    await api("/v2/application-keys/" + encodeURIComponent(current.id), "DELETE");
    setStatus("Deleted " + current.name + "; its tokens are revoked.");
    current = null;
    $("detail").hidden = true;
    await Promise.all([loadKeys(), loadAudit()]);
    $("keys-title").focus();
  } catch (error) {
    $("detail-error").textContent = error.message;
  }
});
$("detail-close").addEventListener("click", () => {
  $("detail").hidden = true;
  current = null;
  $("keys-title").focus();
});

// Audit trails, newest first: the deployment's, and the open key's (the API pages oldest first)

function auditTrail(listId, newerId, olderId, pageId) {
  let page = 0;
  let keyId = "";
  async function load() {
    const base = "/v2/application-keys/audit?" + (keyId ? "filter[key_id]=" + encodeURIComponent(keyId) + "&" : "");
    try {
      const head = await api(base + "page[limit]=1");
      const total = head.meta.results.total;
      const end = total - page * PAGE;
      const start = Math.max(0, end - PAGE);
      const entries = end > 0 ? (await api(base + "page[limit]=" + (end - start) + "&page[offset]=" + start)).data : [];
      $(listId).replaceChildren(...(entries.length ? entries.slice().reverse().map(auditItem) : [el("li", "Nothing yet.")]));
      const pages = Math.max(1, Math.ceil(total / PAGE));
      $(pageId).textContent = "Page " + (page + 1) + " of " + pages + " (" + total + " entries)";
      $(newerId).disabled = page === 0;
      $(olderId).disabled = page + 1 >= pages;
    } catch (error) {
      $(listId).replaceChildren(el("li", error.message));
      $(pageId).textContent = "";
    }
  }
  $(newerId).addEventListener("click", () => {
    page = Math.max(0, page - 1);
    load();
  });
  $(olderId).addEventListener("click", () => {
    page++;
    load();
  });
  return {
    load(forKey) {
      if (forKey !== undefined && forKey !== keyId) {
        keyId = forKey;
        page = 0;
      }
      return load();
    },
    reset() {
      page = 0;
    },
  };
}
const deploymentAudit = auditTrail("audit-rows", "audit-newer", "audit-older", "audit-page");
const keyAudit = auditTrail("key-audit", "key-audit-newer", "key-audit-older", "key-audit-page");
const loadAudit = () => deploymentAudit.load();

for (const id of ["keys-title", "audit-title"]) $(id).setAttribute("tabindex", "-1");
$("signin").hidden = false;
$("signin-id").focus();
`;
