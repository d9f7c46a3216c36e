/**
 * Audit trails in words (docs/console.md): one text of plain JavaScript, no DOM, that the
 * console's script runs in the browser and the CLI runs for `npm run keys -- audit` and
 * `signing audit` (src/cli/audit-text.ts), so a trail reads the same in both. Who acted is a
 * key's name where the registry knows it (its client_id kept beside it), "command line",
 * "schedule"; a key is its name; a change is "scope: read write → read".
 *
 * `names` is `{ clients: {client_id: name}, keys: {id: name}, complete }`: the keys listed now;
 * `complete` says the list was read whole, so a client_id missing from it is a deleted key.
 */
export const AUDIT_WORDS_JS = `const AUDIT_ACTORS = { cli: "command line", bootstrap: "deployment bootstrap", schedule: "schedule", "first use": "first use" };

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

/** Who acted: a key by its name with its client_id beside, the command line, the schedule; a client_id the list lacks as a deleted key. */
function auditActor(actor, names) {
  if (Object.prototype.hasOwnProperty.call(names.clients, actor)) return { text: names.clients[actor], client_id: actor };
  if (Object.prototype.hasOwnProperty.call(AUDIT_ACTORS, actor)) return { text: AUDIT_ACTORS[actor] };
  if (/^[0-9a-f]{40}$/.test(actor)) return { text: names.complete ? "a deleted key" : "a key", client_id: actor };
  return { text: actor };
}

function quotaWords(q) {
  if (!q) return "none";
  const parts = [];
  if (q.per_hour) parts.push(q.per_hour + " an hour");
  if (q.per_day) parts.push(q.per_day + " a day");
  return parts.join(", ");
}

/** A key's attributes as an entry shows them: the field's words, and its value's. */
const AUDIT_FIELDS = [
  ["name", "name", (v) => (v === undefined ? "none" : v)],
  ["scope", "scope", (v) => (v ? v : "none")],
  ["grant_types", "grant types", (v) => (v && v.length ? v.join(", ") : "none")],
  ["token_quota", "quota", quotaWords],
  ["implicit_quota", "implicit quota", quotaWords],
  ["token_endpoint_auth_method", "auth method", (v) => (v === "private_key_jwt" ? "private_key_jwt" : "client_secret_basic")],
  ["jwks_kids", "public keys", (v) => (v && v.length ? v.join(", ") : "none")],
  ["dpop_bound_access_tokens", "DPoP-bound", (v) => (v ? "yes" : "no")],
];

/** What a key entry changed, one phrase each: "scope: read write → read"; a new key's attributes as they were made. */
function auditChanges(entry) {
  const before = entry.old || {};
  const after = entry.new || {};
  if (entry.action === "create") {
    return AUDIT_FIELDS.filter(([f]) => {
      if (f === "name" || after[f] === undefined) return false;
      if (f === "token_endpoint_auth_method") return after[f] === "private_key_jwt";
      if (f === "dpop_bound_access_tokens") return after[f] === true;
      return true;
    }).map(([f, words, value]) => words + ": " + value(after[f]));
  }
  if (entry.action === "delete") return ["every token it held revoked"];
  if (entry.action === "rotate_secret") {
    const until = after.previous_secret_expires_at;
    return until && Date.parse(until) > Date.parse(entry.at)
      ? ["the old secret works until " + auditTime(until)]
      : ["the old secret stopped at once", "every token it held revoked"];
  }
  const out = [];
  for (const [f, words, value] of AUDIT_FIELDS) {
    const a = value(before[f]);
    const b = value(after[f]);
    if (a !== b) out.push(words + ": " + a + " → " + b);
  }
  return out;
}

/** A key entry in words: when, which key (by name, its id beside), what happened, who did it, what changed. */
function auditKeyEntry(entry, names) {
  const snapshot = entry.new || entry.old || {};
  const listed = Object.prototype.hasOwnProperty.call(names.keys, entry.key_id) ? names.keys[entry.key_id] : undefined;
  return {
    at: auditTime(entry.at),
    subject: { text: listed !== undefined ? listed : snapshot.name !== undefined ? snapshot.name : "a key", id: entry.key_id },
    action: Object.prototype.hasOwnProperty.call(KEY_ACTIONS, entry.action) ? KEY_ACTIONS[entry.action] : entry.action,
    actor: auditActor(entry.actor, names),
    changes: auditChanges(entry),
  };
}

/** A signing key's step in words: its kid, what happened to it, who did it, from which state to which. */
function auditSigningEntry(event, names) {
  const changes = ["state: " + (event.from || "new") + " → " + event.to];
  if (event.action === "revoke") changes.push("every token it signed revoked");
  return {
    at: auditTime(event.at),
    subject: { text: "signing key " + event.kid, id: event.kid },
    action: Object.prototype.hasOwnProperty.call(SIGNING_ACTIONS, event.action) ? SIGNING_ACTIONS[event.action] : event.action,
    actor: auditActor(event.actor, names),
    changes: changes,
  };
}

/**
 * One line: "2026-12-03 19:21:05 UTC · Shop backend changed by operator · scope: read write → read".
 * withIds (the CLI's) adds the key's id and the actor's client_id in brackets, to copy.
 */
function auditLine(words, withIds) {
  const subject = words.subject.text + (withIds && words.subject.id !== words.subject.text.replace(/^signing key /, "") ? " (" + words.subject.id + ")" : "");
  const actor = words.actor.text + (withIds && words.actor.client_id ? " (" + words.actor.client_id + ")" : "");
  return [words.at, subject + " " + words.action + " by " + actor].concat(words.changes.length ? [words.changes.join("; ")] : []).join(" · ");
}
`;

/** The names AUDIT_WORDS_JS defines that its users call (the CLI takes these out of it). */
export const AUDIT_WORDS_EXPORTS = ["KEY_ACTIONS", "auditKeyEntry", "auditSigningEntry", "auditLine"] as const;
