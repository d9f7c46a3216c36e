/**
 * The console's dialogs: modal, focus kept inside while open (Tab and Shift+Tab wrap), and given
 * back on close to what opened them.
 */
export const DIALOGS_JS = `// Dialogs: modal, focus kept inside while open (Tab and Shift+Tab wrap), and given back on close.

const returnTo = new Map();

function focusables(root) {
  return [...root.querySelectorAll("button, input, select, textarea, summary, a[href], [tabindex]:not([tabindex='-1'])")].filter(
    (n) => !n.disabled && !n.closest("[hidden]") && n.getClientRects().length > 0 && !(n.type === "radio" && !n.checked),
  );
}

function openDialog(dialog, focus, back) {
  returnTo.set(dialog, back || document.activeElement);
  dialog.showModal();
  (focus || focusables(dialog)[0]).focus();
}

for (const dialog of document.querySelectorAll("dialog")) {
  dialog.addEventListener("keydown", (event) => {
    if (event.key !== "Tab") return;
    const items = focusables(dialog);
    if (items.length === 0) return;
    const first = items[0];
    const last = items[items.length - 1];
    const at = document.activeElement;
    if (event.shiftKey && (at === first || !dialog.contains(at))) {
      event.preventDefault();
      last.focus();
    } else if (!event.shiftKey && (at === last || !dialog.contains(at))) {
      event.preventDefault();
      first.focus();
    }
  });
  dialog.addEventListener("close", () => {
    const back = returnTo.get(dialog);
    returnTo.delete(dialog);
    if (session && back && back.isConnected && !back.closest("[hidden]") && !back.disabled) back.focus();
  });
}
`;
