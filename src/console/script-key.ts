/**
 * One key in the console: its facts, quota use, name, scope and grants, quotas and DPoP binding,
 * public keys, deletion, and its audit trail (script-audit.ts). Every change says what it revokes;
 * a key's name is shown as named() or nameOnly() makes it.
 */
export const KEY_JS = `// One key

let current = null;

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
