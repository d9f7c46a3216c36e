/**
 * The console's views (the keys, creating one, one key, the audit trail, the signing keys): one
 * shows at a time, its heading focused, its place in the navigation marked.
 */
export const VIEWS_JS = `// Views: one at a time, its heading focused.

const VIEWS = ["keys", "create", "detail", "audit", "signing"];
const NAV_OF = { keys: "keys", create: "keys", detail: "keys", audit: "audit", signing: "signing" };

function showView(name, focus) {
  for (const v of VIEWS) $(v).hidden = v !== name;
  for (const b of document.querySelectorAll("[data-view]")) {
    if (b.dataset.view === NAV_OF[name]) b.setAttribute("aria-current", "page");
    else b.removeAttribute("aria-current");
  }
  $("rights").hidden = !session || session.scope.includes(KEYS_RIGHT) || name === "signing";
  if (focus !== false) $(name + "-title").focus();
}

// Going elsewhere: the last action's line has been read.
$("view-keys").addEventListener("click", () => {
  setStatus("");
  current = null;
  showView("keys");
  loadKeys();
});
$("view-audit").addEventListener("click", () => {
  setStatus("");
  current = null;
  showView("audit");
  deploymentAudit.load();
});
$("view-signing").addEventListener("click", () => {
  setStatus("");
  current = null;
  showView("signing");
  loadSigning();
});
`;
