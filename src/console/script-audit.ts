/**
 * The console's audit trails, newest first: the deployment's (filtered by action and by key),
 * the open key's, and the signing keys'. The words are audit-words.ts's, which the CLI's audit
 * output uses too; here the ids go into a detail beside the names. The API pages oldest first,
 * so a page is counted from the end; an action filter reads the trail whole and pages it here.
 */
export const AUDIT_JS = String.raw`// An audit entry: when, what happened to which key and who did it, what changed, and the ids.

function auditEntryNode(entry, words) {
  const li = el("li");
  const what = el("p");
  const subject = words.signing ? [document.createTextNode("signing key "), idNode(words.subject.id)] : [el("strong", words.subject.text)];
  const actor = words.actor.client_id ? el("span", words.actor.text, { title: "client_id " + words.actor.client_id }) : el("span", words.actor.text);
  what.append(...subject, " " + words.action + " by ", actor);
  const when = el("p");
  when.append(el("time", words.at, { datetime: entry.at }));
  li.append(when, what);
  if (words.changes.length) {
    const changes = el("ul");
    changes.append(
      ...words.changes.map((c) => {
        const li = el("li");
        li.append(...fitted(c));
        return li;
      }),
    );
    li.append(changes);
  }
  const ids = [];
  if (!words.signing) ids.push(["key id ", words.subject.id]);
  if (words.actor.client_id) ids.push(["client_id of " + words.actor.text + " ", words.actor.client_id]);
  if (ids.length) {
    const details = el("details");
    details.append(el("summary", "Ids"));
    for (const [label, id] of ids) {
      const p = el("p", label);
      p.append(idNode(id));
      details.append(p);
    }
    li.append(details);
  }
  return li;
}

const keyEntryNode = (entry) => auditEntryNode(entry, auditKeyEntry(entry, names));
const signingEntryNode = (entry) => auditEntryNode(entry, Object.assign(auditSigningEntry(entry, names), { signing: true }));

// The most entries an action filter reads (the trail is kept AUDIT_RETENTION_DAYS).
const MAX_SCANNED = 5000;

/** A trail, newest first, PAGE entries a page; \`o.base()\` its URL and its query so far, \`o.action()\` the action asked for. */
function auditTrail(o) {
  let page = 0;
  const ids = ["list", "newer", "older", "page"].map((k) => o[k]);
  async function load() {
    const [listId, newerId, olderId, pageId] = ids;
    const base = o.base();
    const action = o.action ? o.action() : "";
    let total;
    let entries;
    try {
      if (action) {
        const all = [];
        for (let offset = 0; offset < MAX_SCANNED; offset += 100) {
          const got = await api(base + "page[limit]=100&page[offset]=" + offset);
          all.push(...got.data);
          if (all.length >= got.meta.results.total || got.data.length === 0) break;
        }
        const matching = all.filter((e) => e.action === action).reverse();
        total = matching.length;
        entries = matching.slice(page * PAGE, page * PAGE + PAGE);
      } else {
        total = (await api(base + "page[limit]=1")).meta.results.total;
        const end = total - page * PAGE;
        const start = Math.max(0, end - PAGE);
        entries = end > 0 ? (await api(base + "page[limit]=" + (end - start) + "&page[offset]=" + start)).data.slice().reverse() : [];
      }
      await namesNow();
    } catch (error) {
      $(listId).replaceChildren(el("li", error.message));
      $(pageId).textContent = "";
      return;
    }
    $(listId).replaceChildren(...(entries.length ? entries.map(o.render) : [el("li", action ? "No entry of this action." : "Nothing yet.")]));
    const pages = Math.max(1, Math.ceil(total / PAGE));
    $(pageId).textContent = "Page " + (page + 1) + " of " + pages + " (" + total + (total === 1 ? " entry)" : " entries)");
    $(newerId).disabled = page === 0;
    $(olderId).disabled = page + 1 >= pages;
  }
  $(ids[1]).addEventListener("click", () => {
    page = Math.max(0, page - 1);
    load();
  });
  $(ids[2]).addEventListener("click", () => {
    page++;
    load();
  });
  return {
    load(first) {
      if (first) page = 0;
      return load();
    },
    reset() {
      page = 0;
    },
  };
}

const AUDIT_PATH = "/v2/application-keys/audit?";
const deploymentAudit = auditTrail({
  list: "audit-rows",
  newer: "audit-newer",
  older: "audit-older",
  page: "audit-page",
  base: () => AUDIT_PATH + ($("audit-key").value ? "filter[key_id]=" + encodeURIComponent($("audit-key").value) + "&" : ""),
  action: () => $("audit-action").value,
  render: keyEntryNode,
});
const keyAudit = auditTrail({
  list: "key-audit",
  newer: "key-audit-newer",
  older: "key-audit-older",
  page: "key-audit-page",
  base: () => AUDIT_PATH + "filter[key_id]=" + encodeURIComponent(current ? current.id : "") + "&",
  render: keyEntryNode,
});

$("audit-action").append(...Object.entries(KEY_ACTIONS).map(([value, words]) => el("option", words, { value: value })));
for (const filter of ["audit-action", "audit-key"]) $(filter).addEventListener("change", () => deploymentAudit.load(true));
$("audit-filters").addEventListener("submit", (event) => event.preventDefault());
`;
