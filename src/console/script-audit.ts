/**
 * The console's audit trails, newest first: the deployment's (filtered by action and by key),
 * the open key's, and the signing keys'. The words are audit-words.ts's, which the CLI's audit
 * output uses too; here the ids go into a detail beside the names. A key's name is quoted and
 * isolated (named()), so that it neither turns the line around nor passes for the page's words;
 * an acting key whose name reads as those words, or as another key's, has its client_id beside
 * it. The API pages oldest first, so a page is counted from the end; an action filter reads the
 * trail whole and pages it here.
 */
export const AUDIT_JS = String.raw`// An audit entry: when, what happened to which key and who did it, what changed, and the ids.

/** Who acted: a key by its name (its client_id on hover, and beside the name where it collides), the command line, the schedule. */
function actorNode(actor) {
  if (!actor.named) return el("span", actor.text, actor.client_id ? { title: "client_id " + actor.client_id } : {});
  const node = el("span", null, { title: "client_id " + actor.client_id });
  node.append(named(actor.text));
  if (actor.collides) node.append(" (client_id ", idNode(actor.client_id), ")");
  return node;
}

/** A change's parts in the page: words fitted, names quoted and isolated. */
const changeNodes = (parts) => parts.flatMap((p) => (typeof p === "string" ? fitted(p) : [named(p.name)]));

function auditEntryNode(entry, words) {
  const li = el("li");
  const what = el("p");
  if (words.signing) what.append("signing key ", idNode(words.subject.id));
  else {
    const subject = el("strong");
    subject.append(words.subject.named ? named(words.subject.text) : words.subject.text);
    what.append(subject);
  }
  what.append(" " + words.action + " by ", actorNode(words.actor));
  const when = el("p");
  when.append(el("time", words.at, { datetime: entry.at }));
  li.append(when, what);
  if (words.changes.length) {
    const changes = el("ul");
    changes.append(
      ...words.changes.map((c) => {
        const li = el("li");
        li.append(...changeNodes(c));
        return li;
      }),
    );
    li.append(changes);
  }
  const lines = [];
  if (!words.signing) lines.push(["key id ", idNode(words.subject.id)]);
  // Names are looked up as the trail is shown: an entry whose key has been renamed since says the name it kept.
  if (words.subject.then !== undefined) lines.push(["Named ", named(words.subject.then), " in this entry, ", named(words.subject.text), " now."]);
  if (words.actor.client_id) lines.push(["client_id of ", words.actor.named ? named(words.actor.text) : words.actor.text, " ", idNode(words.actor.client_id)]);
  if (words.subject.named || words.actor.named) lines.push(["Names are the keys' names now."]);
  if (lines.length) {
    const details = el("details");
    details.append(el("summary", "Ids"));
    for (const parts of lines) {
      const p = el("p");
      p.append(...parts);
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
