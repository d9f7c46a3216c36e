/**
 * The console's list of keys: paged, searchable by name or client_id, cards on a narrow screen.
 * The keys listed now are read whole (up to 1,000), for names in place of ids elsewhere and for
 * what a search looks through; a key's name is shown as nameOnly() makes it.
 */
export const KEY_LIST_JS = `// The keys listed now, for names in place of ids: { clients, keys, complete, all } (audit-words' names).
let names = null;

// The keys listed now, read whole (up to 1,000): names for ids, and what a search looks through.

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

let keysPage = 0;

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

/** Keys changed: the names, the list and the trail are read again. */
function keysChanged() {
  names = null;
  return Promise.all([loadNames(), loadKeys()]);
}
`;
