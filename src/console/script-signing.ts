/**
 * The console's signing keys (docs/rotation.md), for a token holding signing_keys: each key's
 * kid, algorithm, state and times, the schedule's next step, a rotation asked for early and an
 * emergency rotation, each behind a confirmation that says what it does to tokens already
 * issued, and the signing keys' audit trail. Without signing_keys the view says why and its
 * controls are disabled; the API's 403 decides regardless.
 */
export const SIGNING_JS = `// What the last read of /v2/signing-keys said: { keys, rotation }.
let signingState = null;

const STATE_WORDS = { next: "next: published, not signing yet", active: "active: signs every token", retiring: "retiring: published, no longer signing", retired: "retired" };
const shortKid = (kid) => kid.slice(0, 8) + "…";

async function loadSigning() {
  if (!session.scope.includes(SIGNING_RIGHT)) {
    for (const id of ["signing-rows", "signing-retired", "signing-audit", "signing-next"]) $(id).replaceChildren();
    $("signing-next").textContent = "Not shown: this token cannot read the signing keys.";
    return;
  }
  let res;
  try {
    res = await api("/v2/signing-keys?page[limit]=100");
  } catch (error) {
    $("signing-next").textContent = error.message;
    return;
  }
  signingState = { keys: res.data, rotation: res.meta.rotation };
  showSigning(signingState);
  await signingAudit.load(true);
}

function keyTimes(k) {
  const times = ["made " + day(k.created_at)];
  if (k.state === "next") times.push("signs from " + day(k.activate_at));
  if (k.activated_at) times.push("signing since " + day(k.activated_at));
  if (k.retiring_at) times.push("stopped signing " + day(k.retiring_at));
  if (k.state === "retiring") times.push("leaves the JWKS " + day(k.retire_at));
  if (k.retired_at) times.push("retired " + day(k.retired_at));
  return times.join("; ");
}

function showSigning(state) {
  const published = state.keys.filter((k) => k.state !== "retired");
  const retired = state.keys.filter((k) => k.state === "retired");
  $("signing-rows").replaceChildren(
    ...published.map((k) =>
      rowOf([cell("kid", idNode(k.kid), "name"), cell("Algorithm", k.alg), cell("State", STATE_WORDS[k.state] || k.state), cell("Times", keyTimes(k))]),
    ),
  );
  $("signing-retired-title").textContent = "Retired keys (" + retired.length + ")";
  $("signing-retired").replaceChildren(
    ...retired.map((k) => {
      const li = el("li");
      li.append(idNode(k.kid), " ", ...fitted(k.alg + ", " + (k.revoked ? "revoked in an emergency rotation, " : "") + "retired " + day(k.retired_at)));
      return li;
    }),
  );
  $("signing-kek").hidden = state.rotation.kek_matches !== false;
  $("signing-kek").textContent =
    state.rotation.kek_matches === false
      ? "This Worker's SIGNING_KEY_KEK does not open the signing keys: nothing can be signed until the KEK that sealed them is back, or an emergency rotation starts a new key set under this one."
      : "";
  say("signing-next", nextStep(state));
}

/** The schedule's next step, from the keys' times: it runs every 15 minutes and does what is due. */
function nextStep(state) {
  const steps = [];
  const active = state.keys.find((k) => k.state === "active");
  const next = state.keys.find((k) => k.state === "next");
  for (const k of state.keys) {
    if (k.state === "retiring" && k.retire_at) steps.push([k.retire_at, "key " + shortKid(k.kid) + " leaves the JWKS: the last tokens it signed have expired."]);
  }
  if (next && next.activate_at) {
    steps.push([next.activate_at, "key " + shortKid(next.kid) + " starts signing" + (active ? ", and key " + shortKid(active.kid) + " stops (it stays in the JWKS until its tokens have expired)." : ".")]);
  } else if (active && state.rotation.period_days > 0) {
    const due = Date.parse(active.activated_at || active.created_at) + state.rotation.period_days * 86400000 - state.rotation.next_key_lead_seconds * 1000;
    steps.push([new Date(Math.max(due, Date.now())).toISOString(), "a next key is published in the JWKS, to start signing an hour later."]);
  }
  if (steps.length === 0)
    return active ? "Nothing is scheduled: SIGNING_KEY_ROTATION_DAYS is 0, so the schedule makes no new key." : "No key yet: the first request makes one.";
  steps.sort((a, b) => Date.parse(a[0]) - Date.parse(b[0]));
  const [at, what] = steps[0];
  return (Date.parse(at) <= Date.now() ? "Due now, at the schedule's next run (every 15 minutes): " : "At the schedule's first run after " + day(at) + " (it runs every 15 minutes): ") + what;
}

// Rotations, each confirmed with what it does to the tokens already issued.

let signingKind = null;

function confirmRotation(kind) {
  signingKind = kind;
  const state = signingState || { keys: [] };
  const next = state.keys.find((k) => k.state === "next");
  $("signing-dialog-error").textContent = "";
  if (kind === "emergency") {
    $("signing-dialog-title").textContent = "Emergency rotation?";
    $("signing-dialog-text").textContent =
      "For a signing key that has leaked, or may have. A new key signs at once, and every other key leaves the JWKS.";
    $("signing-dialog-tokens").textContent =
      "Every token issued so far is revoked, this console's own among them: every client needs a new token, and you will be signed out. edge-token's verifiers refuse the old tokens within about a minute; a verifier that reads only the JWKS, once its cached key set expires.";
    $("signing-dialog-tokens").className = "warning";
    $("signing-confirm").textContent = "Rotate and revoke every token";
    $("signing-confirm").className = "danger";
  } else {
    $("signing-dialog-title").textContent = "Rotate now?";
    say(
      "signing-dialog-text",
      next
        ? "A next key (" + shortKid(next.kid) + ") is already published and starts signing " + day(next.activate_at) + ": asking again changes nothing."
      : "A new key is published in the JWKS now and starts signing an hour from now, about " +
        day(new Date(Date.now() + 3600000).toISOString()) +
        ". The current key then stops signing, and stays in the JWKS until its last token has expired.",
    );
    $("signing-dialog-tokens").textContent = "Tokens already issued are not affected: they keep working until they expire.";
    $("signing-dialog-tokens").className = "hint";
    $("signing-confirm").textContent = "Publish a next key";
    $("signing-confirm").className = "";
  }
  openDialog($("signing-dialog"), $("signing-cancel"), $(kind === "emergency" ? "signing-emergency" : "signing-rotate"));
}
$("signing-rotate").addEventListener("click", () => confirmRotation("scheduled"));
$("signing-emergency").addEventListener("click", () => confirmRotation("emergency"));
$("signing-cancel").addEventListener("click", () => $("signing-dialog").close());
$("signing-confirm").addEventListener("click", async () => {
  const emergency = signingKind === "emergency";
  let result;
  try {
    result = (await api("/v2/signing-keys/rotate", "POST", { type: "signing_key_rotation", emergency: emergency })).data;
  } catch (error) {
    $("signing-dialog-error").textContent = error.message;
    return;
  }
  $("signing-dialog").close();
  if (emergency) {
    const made = result.changes.find((c) => c.action === "create");
    // The rotation revoked this page's token with every other: nothing more can be asked with it.
    signOut(
      "Emergency rotation done: key " + (made ? shortKid(made.kid) : "") + " signs now, and every token issued before it is revoked, this console's too. Sign in again.",
    );
    return;
  }
  const next = result.keys.find((k) => k.state === "next");
  setStatus(
    result.changes.length === 0
      ? "Nothing changed: key " + (next ? shortKid(next.kid) : "") + " was already next, signing from " + (next ? day(next.activate_at) : "—") + "."
      : "Published key " + (next ? shortKid(next.kid) : "") + ": it signs from " + (next ? day(next.activate_at) : "—") + ".",
  );
  await loadSigning();
});

const signingAudit = auditTrail({
  list: "signing-audit",
  newer: "signing-audit-newer",
  older: "signing-audit-older",
  page: "signing-audit-page",
  base: () => "/v2/signing-keys/audit?",
  render: signingEntryNode,
});
`;
