/**
 * The console's keys: the list (paged, searchable), creating one (its secret shown once), and one
 * key's facts, quota use, changes and deletion. Everything from the API goes into the page as
 * text, never as markup.
 */
export const KEYS_JS = String.raw`// The key list

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
    ["Implicit quota", quotaText(k.implicit_quota)],
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
  $("usage").hidden = !k.token_quota && !k.implicit_quota;
  $("usage-bars").replaceChildren();
  if (!k.token_quota && !k.implicit_quota) return;
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
      const label = el("label", name + ": " + w.used + " of " + w.limit + " tokens (starts over " + day(w.resets_at) + ")", { for: id });
      const bar = el("progress", null, { id: id, max: String(w.limit), value: String(Math.min(w.used, w.limit)), class: "bar" });
      $("usage-bars").append(label, bar);
    }
  } catch (error) {
    $("usage-bars").replaceChildren(el("p", error.message, { class: "error" }));
  }
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
`;
