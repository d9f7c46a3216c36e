/**
 * How the console script writes into the page: as text, never as markup. Lines fitted for a narrow
 * screen (times and short kids kept whole), a key's name quoted and isolated (named(), nameOnly():
 * its control and bidi characters written out by audit-words' nameText, so it never passes for
 * the page's own words), what the last action did in the status line, and an API error next to
 * the field it names.
 */
export const TEXT_JS = String.raw`const $ = (id) => document.getElementById(id);

/**
 * What the last action did, for everyone (an ARIA live region at the foot of the screen); requests
 * in flight show above it. Its words, or its parts: words, and nodes such as a key's name.
 */
function setStatus(said) {
  $("status").replaceChildren(...partsOf(said));
}

/** Words fitted, nodes as they are: what a line of the page is made of. */
const partsOf = (said) => (Array.isArray(said) ? said : [said]).flatMap((p) => (typeof p === "string" ? fitted(p) : [p]));

/**
 * A key's name in a sentence: quoted, in a <bdi> of its own (isolated: a right-to-left name cannot
 * turn the words around it), its control and bidi characters written out (audit-words' nameText).
 * Whoever may rename a key chooses it, so it never passes for the page's own words.
 */
function named(name) {
  const span = el("span", null, { class: "name" });
  span.append("“", el("bdi", nameText(name)), "”");
  return span;
}

/** A key's name where nothing but a name stands (a list's cell, a title after its label): isolated and written out, unquoted. */
const nameOnly = (name) => el("bdi", plainText(name));

/**
 * Text for a narrow screen: its times ("2026-12-07 10:02 UTC") and short kids ("aSI-4fQx…") kept
 * on one line each, where a browser would otherwise break them at a hyphen.
 */
function fitted(text) {
  return String(text)
    .split(/(\d{4}-\d\d-\d\d(?: \d\d:\d\d(?::\d\d)?)?(?: UTC)?|[\w-]{8}…)/)
    .map((part, i) => (i % 2 === 1 ? el("span", part, { class: "nowrap" }) : part))
    .filter((part) => part !== "");
}

/** Sets an element's words, fitted. */
function say(id, text) {
  $(id).replaceChildren(...fitted(text));
}

function el(tag, text, attrs) {
  const node = document.createElement(tag);
  if (text !== undefined && text !== null) node.textContent = String(text);
  for (const [k, v] of Object.entries(attrs || {})) node.setAttribute(k, v);
  return node;
}

/** An id (client_id, key id, kid): small monospace that never wraps. */
const idNode = (text) => el("code", text, { class: "id" });

const day = (iso) => (iso ? new Date(iso).toISOString().slice(0, 16).replace("T", " ") + " UTC" : "—");

function clearErrors(root) {
  for (const p of root.querySelectorAll(".error")) p.textContent = "";
  for (const i of root.querySelectorAll("[aria-invalid]")) i.removeAttribute("aria-invalid");
}

/** An API error next to the field it names, or in the form's own line. */
function showError(prefix, error, fallback) {
  const target = error.field && $(prefix + error.field + "-error");
  (target || $(fallback)).textContent = error.message;
  const input = error.field && document.querySelector('[aria-describedby~="' + prefix + error.field + '-error"]');
  if (input) {
    input.setAttribute("aria-invalid", "true");
    if (input.focus) input.focus();
  }
}

/** Adds or takes away one id in an element's aria-describedby, keeping the others. */
function describedBy(node, id, on) {
  const ids = (node.getAttribute("aria-describedby") || "").split(" ").filter((x) => x && x !== id);
  if (on) ids.push(id);
  if (ids.length) node.setAttribute("aria-describedby", ids.join(" "));
  else node.removeAttribute("aria-describedby");
}
`;
