/**
 * The console's audit trails, newest first: the deployment's and the open key's (the API pages
 * them oldest first, so a page is counted from the end).
 */
export const AUDIT_JS = `function change(entry) {
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
`;
