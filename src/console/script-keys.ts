/**
 * The console's keys: the list (paged, searchable; cards on a narrow screen), creating one (its
 * secret shown once), and one key: its facts, quota use, name, scope and grants, quotas and DPoP
 * binding, public keys, a new secret (with the old one kept for a while, or not at all), deletion
 * and audit trail. Everything from the API goes into the page as text, never as markup; a key's
 * name as named() or nameOnly() makes it (isolated, its controls written out). A secret is shown
 * before anything else is asked, and its dialog is the operator's to close.
 */
export const KEYS_JS = String.raw`// The keys listed now, read whole (up to 1,000): names for ids, and what a search looks through.

async function loadNames() {
  const all = [];
  let complete = false;
  try {
    for (let offset = 0; offset < 1000; offset += 100) {
      const page = await api("/v2/application-keys?page[limit]=100&page[offset]=" + offset);
      all.push(...page.data);
      if (all.length >= page.meta.results.total || page.data.length === 0) {
        complete = true;
        break;
      }
    }
  } catch {
    // No list (a token without application_keys): the trails show ids.
  }
  names = {
    clients: Object.fromEntries(all.map((k) => [k.client_id, k.name])),
    keys: Object.fromEntries(all.map((k) => [k.id, k.name])),
    complete: complete,
    all: all,
  };
  const chosen = $("audit-key").value;
  const options = all
    .slice()
    .sort((a, b) => a.name.localeCompare(b.name))
    .map((k) => el("option", plainText(k.name), { value: k.id }));
  $("audit-key").replaceChildren($("audit-key").options[0], ...options);
  $("audit-key").value = all.some((k) => k.id === chosen) ? chosen : "";
  showWho();
  return names;
}

const namesNow = () => (names ? Promise.resolve(names) : loadNames());

// The key list

async function loadKeys() {
  const query = $("search").value.trim().toLowerCase();
  let rows;
  let total;
  try {
    if (query) {
      const found = (await loadNames()).all.filter((k) => k.name.toLowerCase().includes(query) || k.client_id.includes(query));
      total = found.length;
      rows = found.slice(keysPage * PAGE, keysPage * PAGE + PAGE);
    } else {
      const page = await api("/v2/application-keys?page[limit]=" + PAGE + "&page[offset]=" + keysPage * PAGE);
      rows = page.data;
      total = page.meta.results.total;
    }
  } catch (error) {
    $("key-rows").replaceChildren(rowOf([el("td", error.message, { colspan: "7", role: "cell" })]));
    $("keys-page").textContent = "";
    return;
  }
  $("key-rows").replaceChildren(
    ...(rows.length === 0 ? [rowOf([el("td", query ? "No key matches." : "No keys yet.", { colspan: "7", role: "cell" })])] : rows.map(keyRow)),
  );
  const pages = Math.max(1, Math.ceil(total / PAGE));
  $("keys-page").textContent = "Page " + (keysPage + 1) + " of " + pages + " (" + total + (total === 1 ? " key)" : " keys)");
  $("keys-prev").disabled = keysPage === 0;
  $("keys-next").disabled = keysPage + 1 >= pages;
}

function rowOf(cells) {
  const tr = el("tr", null, { role: "row" });
  tr.append(...cells);
  return tr;
}

/** A cell; on a narrow screen (a card) it says what it is. */
function cell(label, content, cls) {
  const td = el("td", null, Object.assign({ role: "cell" }, label ? { "data-label": label } : {}, cls ? { class: cls } : {}));
  if (typeof content === "string") td.append(...fitted(content));
  else td.append(content);
  return td;
}

const provesWith = (k) =>
  (k.token_endpoint_auth_method === "private_key_jwt" ? "signed assertions" : "a secret") + (k.dpop_bound_access_tokens ? ", DPoP-bound" : "");

function keyRow(k) {
  const manage = el("button", "Manage", { type: "button", "aria-label": "Manage " + plainText(k.name) });
  manage.addEventListener("click", () => openKey(k.id));
  return rowOf([
    cell(null, nameOnly(k.name), "name"),
    cell("client_id", idNode(k.client_id)),
    cell("Scope", k.scope),
    cell("Grant types", k.grant_types.join(", ")),
    cell("Proves itself with", provesWith(k)),
    cell("Quota", quotaWords(k.token_quota)),
    cell(null, manage, "row-actions"),
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
  if (session && Array.isArray(meta.scopes_supported))
    $("c-scope-hint").textContent = "From: " + meta.scopes_supported.join(" ") + ". Empty: the deployment's default.";
}

/** Keys changed: the names, the list and the trail are read again. */
function keysChanged() {
  names = null;
  return Promise.all([loadNames(), loadKeys()]);
}

// Creating a key

$("new-key").addEventListener("click", () => {
  showView("create");
  $("c-name").focus();
});
function closeCreate() {
  $("create-form").reset();
  clearErrors($("create-form"));
  $("c-jwks-box").hidden = true;
  showView("keys", false);
}
$("create-cancel").addEventListener("click", () => {
  closeCreate();
  $("new-key").focus();
});
$("c-auth").addEventListener("change", () => {
  $("c-jwks-box").hidden = $("c-auth").value !== "private_key_jwt";
});
$("c-jwks-file").addEventListener("change", async () => {
  const file = $("c-jwks-file").files[0];
  if (file) $("c-jwks").value = await file.text();
});

/** A JWKS typed or uploaded into a textarea: the parsed set, or undefined with the error by the field. */
function jwksIn(id) {
  try {
    return JSON.parse($(id).value);
  } catch {
    $(id + "-error").textContent = "The key set is not valid JSON: paste {\"keys\":[…]}.";
    $(id).setAttribute("aria-invalid", "true");
    $(id).focus();
    return undefined;
  }
}

/** A quota from two fields: null when both are empty. The API checks the numbers. */
function quotaIn(hour, dayField) {
  const q = {};
  if ($(hour).value !== "") q.per_hour = Number($(hour).value);
  if ($(dayField).value !== "") q.per_day = Number($(dayField).value);
  return Object.keys(q).length ? q : null;
}

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
    data.jwks = jwksIn("c-jwks");
    if (data.jwks === undefined) return;
  }
  if ($("c-dpop").checked) data.dpop_bound_access_tokens = true;
  const quota = quotaIn("c-per-hour", "c-per-day");
  if (quota) data.token_quota = quota;
  let created;
  try {
    created = await api("/v2/application-keys", "POST", data, { shownOnce: true });
  } catch (error) {
    showError("c-", error, "create-error");
    return;
  }
  closeCreate();
  if (created.data.client_secret) {
    // The secret first: the list is read again behind it, and a session found ended meanwhile waits for the dialog to close.
    showSecret(created.data, { title: ["The secret of ", named(created.data.name)], back: $("new-key") });
    await keysChanged();
  } else {
    await keysChanged();
    setStatus(["Created ", named(created.data.name), ": it holds no secret, and proves itself with its keys."]);
    $("keys-title").focus();
  }
});

// The secret, shown once: after a create or a new secret. Escape asks before it is gone; nothing
// but the operator closes it (a session that ends meanwhile says so inside, and signs out after).

function showSecret(key, o) {
  $("secret-title").replaceChildren(...partsOf(o.title));
  $("secret-value").value = key.client_secret;
  $("secret-client").value = key.client_id;
  $("secret-old").hidden = !o.old;
  say("secret-old", o.old || "");
  $("secret-copied").textContent = "";
  $("secret-leave").hidden = true;
  $("secret-ended").hidden = true;
  // Made before the session ended (its answer on the way): shown, and the sign-out said again once it is closed.
  if (!session) {
    endedUnder = $("signin-error").textContent;
    $("secret-ended").hidden = false;
  }
  openDialog($("secret-dialog"), $("secret-value"), o.back);
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
/** Escape, or the browser closing the dialog: ask first; asked already, Escape goes back to the secret. */
function askBeforeLeaving(event) {
  event.preventDefault();
  if (!$("secret-leave").hidden) {
    stayWithSecret();
    return;
  }
  $("secret-leave").hidden = false;
  $("secret-stay").focus();
}
function stayWithSecret() {
  $("secret-leave").hidden = true;
  $("secret-value").focus();
  $("secret-value").select();
}
$("secret-dialog").addEventListener("keydown", (event) => {
  if (event.key === "Escape") askBeforeLeaving(event);
});
$("secret-dialog").addEventListener("cancel", (event) => {
  if (event.cancelable) askBeforeLeaving(event);
});
$("secret-stay").addEventListener("click", stayWithSecret);
/** The secret leaves the page as the dialog closes, however it closes. */
function forgetSecret() {
  $("secret-value").value = "";
  $("secret-client").value = "";
  $("secret-leave").hidden = true;
}
function closeSecret() {
  forgetSecret();
  $("secret-dialog").close();
}
$("secret-discard").addEventListener("click", closeSecret);
$("secret-close").addEventListener("click", closeSecret);
$("secret-dialog").addEventListener("close", () => {
  forgetSecret();
  // The session ended while the secret was open: the sign-out it waited for.
  if (endedUnder !== null) signOut(endedUnder);
});

// One key

// The key whose trail the detail shows: another key's starts at its newest page.
let keyAuditOf = null;

async function openKey(id, o) {
  let data;
  try {
    ({ data } = await api("/v2/application-keys/" + encodeURIComponent(id)));
  } catch (error) {
    setStatus(error.message);
    return;
  }
  current = data;
  await namesNow();
  showKey(data);
  if (!o || o.view !== false) {
    clearErrors($("detail"));
    showView("detail");
  }
  const first = keyAuditOf !== data.id;
  keyAuditOf = data.id;
  await Promise.all([loadUsage(data), keyAudit.load(first)]);
}

const actorOf = (actor) => actorNode(auditActor(actor, names || { clients: {}, keys: {}, complete: false }));

function showKey(k) {
  const jwt = k.token_endpoint_auth_method === "private_key_jwt";
  $("detail-title").replaceChildren("Key: ", nameOnly(k.name));
  const facts = [
    ["client_id", idNode(k.client_id)],
    ["Key id", idNode(k.id)],
    ["Scope", k.scope],
    ["Grant types", k.grant_types.join(", ")],
    ["Proves itself with", jwt ? "signed assertions (private_key_jwt)" : "a secret (client_secret_basic)"],
    ["DPoP-bound", k.dpop_bound_access_tokens ? "yes: every token must be" : "no"],
    ["Quota", quotaWords(k.token_quota)],
    ["Implicit quota", quotaWords(k.implicit_quota)],
  ];
  if (jwt) facts.push(["Public keys", (k.jwks ? k.jwks.keys.map((j) => j.kid) : []).join(", ") || "none"]);
  if (k.previous_secret_expires_at) facts.push(["Old secret", "works until " + day(k.previous_secret_expires_at)]);
  facts.push(["Created", [day(k.meta.timestamps.created_at)].concat(k.meta.created_by ? [" by ", actorOf(k.meta.created_by)] : [])]);
  facts.push(["Updated", day(k.meta.timestamps.updated_at)]);
  $("detail-facts").replaceChildren(
    ...facts.flatMap(([t, d]) => {
      const dd = el("dd");
      dd.append(...partsOf(d));
      return [el("dt", t), dd];
    }),
  );
  $("d-name").value = k.name;
  $("d-scope").value = k.scope;
  for (const box of document.querySelectorAll('input[name="d-grant"]')) box.checked = k.grant_types.includes(box.value);
  const q = k.token_quota || {};
  const iq = k.implicit_quota || {};
  $("d-per-hour").value = q.per_hour || "";
  $("d-per-day").value = q.per_day || "";
  $("d-implicit-per-hour").value = iq.per_hour || "";
  $("d-implicit-per-day").value = iq.per_day || "";
  $("d-dpop").checked = k.dpop_bound_access_tokens === true;
  $("d-jwks-box").hidden = !jwt;
  $("d-jwks").value = jwt && k.jwks ? JSON.stringify(k.jwks, null, 2) : "";
  $("rotate-secret").hidden = jwt;
  say(
    "d-secret-text",
    jwt
      ? "It holds no secret: it proves itself with signed assertions, and its keys rotate by replacing its public keys above."
    : "A new secret replaces the current one, which can keep working for a while so that every backend can move to the new one." +
        (k.previous_secret_expires_at ? " The old secret of the last rotation works until " + day(k.previous_secret_expires_at) + "." : ""),
  );
}

/** The quota bars, replaced at once when the counts arrive (never emptied first: the page below stays put). */
async function loadUsage(k) {
  $("usage").hidden = !k.token_quota && !k.implicit_quota;
  if (!k.token_quota && !k.implicit_quota) {
    $("usage-bars").replaceChildren();
    return;
  }
  const bars = [];
  try {
    const { data } = await api("/v2/application-keys/" + encodeURIComponent(k.id) + "/usage");
    // Both quotas, each counted apart: the backend's (authenticated requests) and the storefront's (implicit).
    const implicit = data.implicit || {};
    const windows = [
      ["This hour", data.hour],
      ["Today (UTC)", data.day],
      ["Implicit, this hour", implicit.hour],
      ["Implicit, today (UTC)", implicit.day],
    ];
    for (const [i, [name, w]] of windows.entries()) {
      if (!w) continue;
      const id = "usage-" + i;
      const label = el("label", null, { for: id });
      label.append(...fitted(name + ": " + w.used + " of " + w.limit + " tokens (starts over " + day(w.resets_at) + ")"));
      const bar = el("progress", null, { id: id, max: String(w.limit), value: String(Math.min(w.used, w.limit)), class: "bar" });
      bars.push(label, bar);
    }
    $("usage-bars").replaceChildren(...bars);
  } catch (error) {
    $("usage-bars").replaceChildren(el("p", error.message, { class: "error" }));
  }
}

$("rename-form").addEventListener("submit", async (event) => {
  event.preventDefault();
  clearErrors($("detail"));
  await changeKey({ name: $("d-name").value }, ["Renamed it ", named($("d-name").value), "."]);
});
$("scope-form").addEventListener("submit", async (event) => {
  event.preventDefault();
  clearErrors($("detail"));
  const grants = [...document.querySelectorAll('input[name="d-grant"]:checked')].map((i) => i.value);
  await changeKey({ scope: $("d-scope").value.trim(), grant_types: grants }, "Saved its scope and grant types.");
});
$("limits-form").addEventListener("submit", async (event) => {
  event.preventDefault();
  clearErrors($("detail"));
  // Only what changed: saving an unchanged DPoP binding or quota changes nothing and revokes nothing.
  const changes = {};
  const quota = quotaIn("d-per-hour", "d-per-day");
  const implicit = quotaIn("d-implicit-per-hour", "d-implicit-per-day");
  if (JSON.stringify(quota) !== JSON.stringify(current.token_quota || null)) changes.token_quota = quota;
  if (JSON.stringify(implicit) !== JSON.stringify(current.implicit_quota || null)) changes.implicit_quota = implicit;
  if ($("d-dpop").checked !== (current.dpop_bound_access_tokens === true)) changes.dpop_bound_access_tokens = $("d-dpop").checked;
  if (Object.keys(changes).length === 0) {
    setStatus("Nothing to save: the quotas and the DPoP binding are as they were.");
    return;
  }
  const revoking = changes.dpop_bound_access_tokens === true ? " Every token it held is revoked: it gets DPoP-bound ones only." : "";
  await changeKey(changes, "Saved its quotas and DPoP binding." + revoking);
});
$("d-jwks-file").addEventListener("change", async () => {
  const file = $("d-jwks-file").files[0];
  if (file) $("d-jwks").value = await file.text();
});
$("jwks-form").addEventListener("submit", async (event) => {
  event.preventDefault();
  clearErrors($("detail"));
  const jwks = jwksIn("d-jwks");
  if (jwks === undefined) return;
  await changeKey({ jwks: jwks }, "Replaced its public keys.");
});

async function changeKey(attributes, said) {
  const key = current;
  try {
    await api("/v2/application-keys/" + encodeURIComponent(key.id), "PUT", Object.assign({ type: "application_key" }, attributes));
  } catch (error) {
    showError("d-", error, "detail-error");
    return;
  }
  setStatus([named(key.name), ": "].concat(said));
  names = null;
  await Promise.all([openKey(key.id, { view: false }), loadKeys()]);
}

// A new secret: how long the old one keeps working, said before it is made.

const KEEP_WORDS = { 86400: "24 hours", 3600: "an hour" };

function keepOld() {
  return Number(document.querySelector('input[name="keep-old"]:checked').value);
}

/** Whether the key open is the one this console signed in with: a rotation keeping nothing revokes this page's own token too. */
const ownKey = () => current !== null && session !== null && current.client_id === session.clientId;

function showConsequence() {
  const keep = keepOld();
  const until = new Date(Date.now() + keep * 1000).toISOString();
  say(
    "rotate-consequence",
    keep === 0
      ? "The old secret stops working now, and every token the key holds is revoked: every backend that uses it fails until it has the new secret. For a secret that has leaked." +
          (ownKey() ? " This console signed in with this key: its own token goes too, and you will be signed out once you have the new secret." : "")
      : "Both secrets work for " + KEEP_WORDS[keep] + ", until about " + day(until) + ": move every backend to the new secret before then. Tokens already issued keep working. Another new secret meanwhile ends the old one at once.",
  );
  $("rotate-confirm").textContent = keep === 0 ? "Make a new secret, end the old one" : "Make a new secret";
  $("rotate-confirm").className = keep === 0 ? "danger" : "";
}
for (const radio of document.querySelectorAll('input[name="keep-old"]')) radio.addEventListener("change", showConsequence);

$("rotate-secret").addEventListener("click", () => {
  $("rotate-form").reset();
  clearErrors($("rotate-form"));
  $("rotate-title").replaceChildren("A new secret for ", named(current.name));
  showConsequence();
  openDialog($("rotate-dialog"), document.querySelector('input[name="keep-old"]:checked'), $("rotate-secret"));
});
$("rotate-cancel").addEventListener("click", () => $("rotate-dialog").close());
$("rotate-form").addEventListener("submit", async (event) => {
  event.preventDefault();
  const key = current;
  const keep = keepOld();
  const own = keep === 0 && key.client_id === session.clientId;
  let rotated;
  try {
    rotated = await api(
      "/v2/application-keys/" + encodeURIComponent(key.id) + "/secret",
      "POST",
      { type: "secret_rotation", attributes: { keep_old_seconds: keep } },
      { shownOnce: true },
    );
  } catch (error) {
    $("rotate-error").textContent = error.message;
    return;
  }
  $("rotate-dialog").close();
  const data = rotated.data;
  const until = data.previous_secret_expires_at;
  const old =
    keep > 0 && until
      ? "The old secret works until " + day(until) + ": move every backend to this one before then."
      : "The old secret no longer works, and every token the key held is revoked" + (own ? ", this console's too: you are signed out when this closes." : ".");
  setStatus([named(key.name), " has a new secret. " + old]);
  showSecret(data, { title: ["The new secret of ", named(key.name)], old: old, back: $("rotate-secret") });
  if (own) {
    // This page's token went with the key's others: nothing more can be asked with it, and the secret must not go before it is read (the dialog says so already).
    signOut("The key's tokens were revoked with its old secret, this console's too. Sign in again with the new secret.", { said: true });
    return;
  }
  await Promise.all([openKey(key.id, { view: false }), loadKeys()]);
});

// Deleting

$("delete-key").addEventListener("click", () => {
  $("delete-text").replaceChildren(
    "Deleting ",
    named(current.name),
    ", client_id ",
    idNode(current.client_id),
    ", revokes every token it was ever issued: refused here at once, everywhere within about a minute. It can never get another token, and this cannot be undone.",
  );
  openDialog($("delete-dialog"), $("delete-cancel"), $("delete-key"));
});
$("delete-cancel").addEventListener("click", () => $("delete-dialog").close());
$("delete-confirm").addEventListener("click", async () => {
  const key = current;
  $("delete-dialog").close();
  try {
    await api("/v2/application-keys/" + encodeURIComponent(key.id), "DELETE");
  } catch (error) {
    $("detail-error").textContent = error.message;
    return;
  }
  setStatus(["Deleted ", named(key.name), "; its tokens are revoked."]);
  current = null;
  showView("keys");
  await keysChanged();
});
$("detail-close").addEventListener("click", () => {
  current = null;
  showView("keys");
  loadKeys();
});
`;
