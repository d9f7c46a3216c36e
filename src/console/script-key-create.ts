/**
 * Creating a key in the console: its name, scope (the deployment's scopes as a hint), grant types,
 * how it proves itself (a secret, or public keys pasted or uploaded), DPoP binding and quota. Its
 * secret is shown once (script-secret.ts) before the list is read again. jwksIn() and quotaIn()
 * read a key's public keys and quotas from a form, here and in one key's forms.
 */
export const KEY_CREATE_JS = String.raw`// Creating a key

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

async function loadScopes() {
  const res = await request("/.well-known/oauth-authorization-server");
  const meta = await res.json().catch(() => ({}));
  if (session && Array.isArray(meta.scopes_supported))
    $("c-scope-hint").textContent = "From: " + meta.scopes_supported.join(" ") + ". Empty: the deployment's default.";
}
`;
