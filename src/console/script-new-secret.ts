/**
 * A new secret for the open key: how long the old one keeps working (24 hours, an hour, or not at
 * all for a leaked one), said before it is made, this console's own token included when it goes
 * too. The new secret is then shown once (script-secret.ts).
 */
export const NEW_SECRET_JS = `// A new secret: how long the old one keeps working, said before it is made.

const KEEP_WORDS = { 86400: "24 hours", 3600: "an hour" };

function keepOld() {
  return Number(document.querySelector('input[name="keep-old"]:checked').value);
}

/** Whether the key open is the one this console signed in with: a rotation keeping nothing revokes this page's own token too. */
const ownKey = () => current !== null && session !== null && current.client_id === session.clientId;

function showConsequence() {
  const keep = keepOld();
  const until = new Date(Date.now() + keep * 1000).toISOString();
  say(
    "rotate-consequence",
    keep === 0
      ? "The old secret stops working now, and every token the key holds is revoked: every backend that uses it fails until it has the new secret. For a secret that has leaked." +
          (ownKey() ? " This console signed in with this key: its own token goes too, and you will be signed out once you have the new secret." : "")
      : "Both secrets work for " + KEEP_WORDS[keep] + ", until about " + day(until) + ": move every backend to the new secret before then. Tokens already issued keep working. Another new secret meanwhile ends the old one at once.",
  );
  $("rotate-confirm").textContent = keep === 0 ? "Make a new secret, end the old one" : "Make a new secret";
  $("rotate-confirm").className = keep === 0 ? "danger" : "";
}
for (const radio of document.querySelectorAll('input[name="keep-old"]')) radio.addEventListener("change", showConsequence);

$("rotate-secret").addEventListener("click", () => {
  $("rotate-form").reset();
  clearErrors($("rotate-form"));
  $("rotate-title").replaceChildren("A new secret for ", named(current.name));
  showConsequence();
  openDialog($("rotate-dialog"), document.querySelector('input[name="keep-old"]:checked'), $("rotate-secret"));
});
$("rotate-cancel").addEventListener("click", () => $("rotate-dialog").close());
$("rotate-form").addEventListener("submit", async (event) => {
  event.preventDefault();
  const key = current;
  const keep = keepOld();
  const own = keep === 0 && key.client_id === session.clientId;
  let rotated;
  try {
    rotated = await api(
      "/v2/application-keys/" + encodeURIComponent(key.id) + "/secret",
      "POST",
      { type: "secret_rotation", attributes: { keep_old_seconds: keep } },
      { shownOnce: true },
    );
  } catch (error) {
    $("rotate-error").textContent = error.message;
    return;
  }
  $("rotate-dialog").close();
  const data = rotated.data;
  const until = data.previous_secret_expires_at;
  const old =
    keep > 0 && until
      ? "The old secret works until " + day(until) + ": move every backend to this one before then."
      : "The old secret no longer works, and every token the key held is revoked" + (own ? ", this console's too: you are signed out when this closes." : ".");
  setStatus([named(key.name), " has a new secret. " + old]);
  showSecret(data, { title: ["The new secret of ", named(key.name)], old: old, back: $("rotate-secret") });
  if (own) {
    // This page's token went with the key's others: nothing more can be asked with it, and the secret must not go before it is read (the dialog says so already).
    signOut("The key's tokens were revoked with its old secret, this console's too. Sign in again with the new secret.", { said: true });
    return;
  }
  await Promise.all([openKey(key.id, { view: false }), loadKeys()]);
});
`;
