/**
 * Audit trails in words (docs/console.md): one text of plain JavaScript, no DOM, that the
 * console's script runs in the browser and the CLI runs for `npm run keys -- audit` and
 * `signing audit` (src/cli/audit-text.ts), so a trail reads the same in both. Who acted is a
 * key's name where the registry knows it (its client_id kept beside it), "command line",
 * "schedule"; a key is its name; a change is "scope: read write → read".
 *
 * A name is whatever a key was named, by anyone who may rename one, so it can never pass for
 * the trail's own words: its control characters (C0, DEL, C1) and bidi controls are written as
 * `\u001B`, `\u202E` (a terminal escape cannot rewrite the line, a direction override cannot
 * reverse it), and it is marked as a name ({ name: … } in a change, `named` on a subject or an
 * actor) for the console to isolate and quote and for the text to quote: “command line” is a
 * key so named, command line is the CLI. Names are the keys' names now (looked up as the trail
 * is shown), so an entry whose key has been renamed since says the name it kept (`then`).
 *
 * `names` is `{ clients: {client_id: name}, keys: {id: name}, complete }`: the keys listed now;
 * `complete` says the list was read whole, so a client_id missing from it is a deleted key.
 */
export const AUDIT_WORDS_JS = String.raw`const AUDIT_ACTORS = { cli: "command line", bootstrap: "deployment bootstrap", schedule: "schedule", "first use": "first use" };

/** The key trail's actions, as a filter lists them and an entry says them. */
const KEY_ACTIONS = { create: "created", rename: "renamed", update: "changed", rotate_secret: "given a new secret", delete: "deleted" };

const SIGNING_ACTIONS = {
  create: "made",
  import: "imported",
  publish: "published",
  activate: "made active",
  retire: "retired from signing",
  remove: "removed from the JWKS",
  revoke: "revoked",
};

function auditTime(iso) {
  return iso ? new Date(iso).toISOString().slice(0, 19).replace("T", " ") + " UTC" : "—";
}

const hasOwn = (o, k) => Object.prototype.hasOwnProperty.call(o, k);

/**
 * Text from the registry as the trail prints it: control characters (C0, DEL, C1), the line and
 * paragraph separators and the bidi controls written out (\u001B, \u202E), so that none of them
 * moves a terminal's cursor, hides text, or turns the rest of a line around.
 */
const UNPRINTABLE = /[\u0000-\u001f\u007f-\u009f\u061c\u200e\u200f\u2028\u2029\u202a-\u202e\u2066-\u2069]/g;
const escaped = (c) => "\\u" + c.charCodeAt(0).toString(16).toUpperCase().padStart(4, "0");
function plainText(value) {
  return String(value).replace(UNPRINTABLE, escaped);
}

/** A key's name as the trail shows it: printable, and its own “ and ” written out, so that the quotes around it are the trail's. */
function nameText(name) {
  return plainText(name).replace(/[\u201c\u201d]/g, escaped);
}

/** A name quoted, as the text shows one: “command line” is a key so named, command line the CLI. */
const quoted = (text) => "“" + text + "”";

/** What a name could pass for: the trail's words for who acted when no key did, and for a key no longer listed. */
const RESERVED = new Set(Object.keys(AUDIT_ACTORS).concat(Object.values(AUDIT_ACTORS), ["a key", "a deleted key"]));

/** The names that more than one key listed now has, counted once a list. */
const SHARED_NAMES = new WeakMap();
function sharedNames(names) {
  if (!SHARED_NAMES.has(names)) {
    const seen = new Set();
    const shared = new Set();
    for (const n of Object.values(names.clients)) (seen.has(n) ? shared : seen).add(n);
    SHARED_NAMES.set(names, shared);
  }
  return SHARED_NAMES.get(names);
}

/** A key's name that reads as one of the trail's own words, or as another key's: its client_id goes beside it wherever it is shown. */
function collides(name, names) {
  return RESERVED.has(String(name).replace(/\s+/g, " ").trim().toLowerCase()) || sharedNames(names).has(name);
}

/**
 * Who acted: a key by its name (named, its client_id beside; collides when the name reads as the
 * trail's own words or another key's), the command line, the schedule; a client_id the list lacks
 * as a deleted key.
 */
function auditActor(actor, names) {
  if (hasOwn(names.clients, actor)) {
    const name = names.clients[actor];
    return { text: nameText(name), client_id: plainText(actor), named: true, collides: collides(name, names) };
  }
  if (hasOwn(AUDIT_ACTORS, actor)) return { text: AUDIT_ACTORS[actor], named: false };
  if (/^[0-9a-f]{40}$/.test(actor)) return { text: names.complete ? "a deleted key" : "a key", client_id: actor, named: false };
  return { text: plainText(actor), named: false };
}

function quotaWords(q) {
  if (!q) return "none";
  const parts = [];
  if (q.per_hour) parts.push(q.per_hour + " an hour");
  if (q.per_day) parts.push(q.per_day + " a day");
  return parts.join(", ");
}

/** A key's attributes as an entry shows them: the field's words, and its value's (a name as { name }). */
const AUDIT_FIELDS = [
  ["name", "name", (v) => (v === undefined ? "none" : { name: nameText(v) })],
  ["scope", "scope", (v) => (v ? plainText(v) : "none")],
  ["grant_types", "grant types", (v) => (v && v.length ? plainText(v.join(", ")) : "none")],
  ["token_quota", "quota", quotaWords],
  ["implicit_quota", "implicit quota", quotaWords],
  ["token_endpoint_auth_method", "auth method", (v) => (v === "private_key_jwt" ? "private_key_jwt" : "client_secret_basic")],
  ["jwks_kids", "public keys", (v) => (v && v.length ? plainText(v.join(", ")) : "none")],
  ["dpop_bound_access_tokens", "DPoP-bound", (v) => (v ? "yes" : "no")],
];

const sameValue = (a, b) => (typeof a === "string" || typeof b === "string" ? a === b : a.name === b.name);

/**
 * What a key entry changed, one change each, as its parts (words, and names as { name }):
 * "scope: read write → read", "name: “Shop” → “Shop backend”"; a new key's attributes as they were made.
 */
function auditChanges(entry) {
  const before = entry.old || {};
  const after = entry.new || {};
  if (entry.action === "create") {
    return AUDIT_FIELDS.filter(([f]) => {
      if (f === "name" || after[f] === undefined) return false;
      if (f === "token_endpoint_auth_method") return after[f] === "private_key_jwt";
      if (f === "dpop_bound_access_tokens") return after[f] === true;
      return true;
    }).map(([f, words, value]) => [words + ": ", value(after[f])]);
  }
  if (entry.action === "delete") return [["every token it held revoked"]];
  if (entry.action === "rotate_secret") {
    const until = after.previous_secret_expires_at;
    return until && Date.parse(until) > Date.parse(entry.at)
      ? [["the old secret works until " + auditTime(until)]]
      : [["the old secret stopped at once"], ["every token it held revoked"]];
  }
  const out = [];
  for (const [f, words, value] of AUDIT_FIELDS) {
    const a = value(before[f]);
    const b = value(after[f]);
    if (!sameValue(a, b)) out.push([words + ": ", a, " → ", b]);
  }
  return out;
}

/** A change as the text says it: its words, its names quoted. */
const changeText = (parts) => parts.map((p) => (typeof p === "string" ? p : quoted(p.name))).join("");

/**
 * A key entry in words: when, which key (by its name now, its id beside, and the name the entry
 * kept when the key has been renamed since: then), what happened, who did it, what changed.
 */
function auditKeyEntry(entry, names) {
  const kept = (entry.new || entry.old || {}).name;
  const listed = hasOwn(names.keys, entry.key_id) ? names.keys[entry.key_id] : undefined;
  const name = listed !== undefined ? listed : kept;
  const subject =
    name === undefined ? { text: "a key", id: plainText(entry.key_id), named: false } : { text: nameText(name), id: plainText(entry.key_id), named: true };
  if (listed !== undefined && kept !== undefined && kept !== listed) subject.then = nameText(kept);
  return {
    at: auditTime(entry.at),
    subject: subject,
    action: hasOwn(KEY_ACTIONS, entry.action) ? KEY_ACTIONS[entry.action] : plainText(entry.action),
    actor: auditActor(entry.actor, names),
    changes: auditChanges(entry),
  };
}

/** A signing key's step in words: its kid, what happened to it, who did it, from which state to which. */
function auditSigningEntry(event, names) {
  const changes = [["state: " + plainText(event.from || "new") + " → " + plainText(event.to)]];
  if (event.action === "revoke") changes.push(["every token it signed revoked"]);
  return {
    at: auditTime(event.at),
    subject: { text: "signing key " + plainText(event.kid), id: plainText(event.kid), named: false },
    action: hasOwn(SIGNING_ACTIONS, event.action) ? SIGNING_ACTIONS[event.action] : plainText(event.action),
    actor: auditActor(event.actor, names),
    changes: changes,
  };
}

/**
 * One line: "2026-12-03 19:21:05 UTC · “Shop backend” changed by “operator” · scope: read write → read",
 * every name quoted, the name an entry kept beside the key's name now when they differ.
 * withIds (the CLI's) adds the key's id and the actor's client_id in brackets, to copy; an
 * actor whose name collides has its client_id beside it either way.
 */
function auditLine(words, withIds) {
  const s = words.subject;
  const about = [];
  if (withIds && s.text !== "signing key " + s.id) about.push(s.id);
  if (s.then !== undefined) about.push("named " + quoted(s.then) + " in this entry");
  const subject = (s.named ? quoted(s.text) : s.text) + (about.length ? " (" + about.join(", ") + ")" : "");
  const a = words.actor;
  const actor = (a.named ? quoted(a.text) : a.text) + ((withIds || a.collides) && a.client_id ? " (" + a.client_id + ")" : "");
  return [words.at, subject + " " + words.action + " by " + actor].concat(words.changes.length ? [words.changes.map(changeText).join("; ")] : []).join(" · ");
}
`;

/** The names AUDIT_WORDS_JS defines that its users call (the CLI takes these out of it). */
export const AUDIT_WORDS_EXPORTS = ["KEY_ACTIONS", "auditKeyEntry", "auditSigningEntry", "auditLine"] as const;
