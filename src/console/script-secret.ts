/**
 * A key's secret, shown once, after a create or a new secret: shown before anything else is asked,
 * copied with one button, gone from the page as the dialog closes. Nothing but the operator closes
 * it: Escape asks first, and a session that ends while it is open says so inside and signs out
 * only once it is closed.
 */
export const SECRET_JS = `// The secret, shown once: after a create or a new secret. Escape asks before it is gone; nothing
// but the operator closes it (a session that ends meanwhile says so inside, and signs out after).

function showSecret(key, o) {
  $("secret-title").replaceChildren(...partsOf(o.title));
  $("secret-value").value = key.client_secret;
  $("secret-client").value = key.client_id;
  $("secret-old").hidden = !o.old;
  say("secret-old", o.old || "");
  $("secret-copied").textContent = "";
  $("secret-leave").hidden = true;
  $("secret-ended").hidden = true;
  // Made before the session ended (its answer on the way): shown, and the sign-out said again once it is closed.
  if (!session) {
    endedUnder = $("signin-error").textContent;
    $("secret-ended").hidden = false;
  }
  openDialog($("secret-dialog"), $("secret-value"), o.back);
  $("secret-value").select();
}
$("secret-copy").addEventListener("click", async () => {
  try {
    await navigator.clipboard.writeText($("secret-value").value);
    $("secret-copied").textContent = "Copied.";
  } catch {
    $("secret-value").select();
    $("secret-copied").textContent = "Copying was refused here: it is selected, copy it with the keyboard.";
  }
});
/** Escape, or the browser closing the dialog: ask first; asked already, Escape goes back to the secret. */
function askBeforeLeaving(event) {
  event.preventDefault();
  if (!$("secret-leave").hidden) {
    stayWithSecret();
    return;
  }
  $("secret-leave").hidden = false;
  $("secret-stay").focus();
}
function stayWithSecret() {
  $("secret-leave").hidden = true;
  $("secret-value").focus();
  $("secret-value").select();
}
$("secret-dialog").addEventListener("keydown", (event) => {
  if (event.key === "Escape") askBeforeLeaving(event);
});
$("secret-dialog").addEventListener("cancel", (event) => {
  if (event.cancelable) askBeforeLeaving(event);
});
$("secret-stay").addEventListener("click", stayWithSecret);
/** The secret leaves the page as the dialog closes, however it closes. */
function forgetSecret() {
  $("secret-value").value = "";
  $("secret-client").value = "";
  $("secret-leave").hidden = true;
}
function closeSecret() {
  forgetSecret();
  $("secret-dialog").close();
}
$("secret-discard").addEventListener("click", closeSecret);
$("secret-close").addEventListener("click", closeSecret);
$("secret-dialog").addEventListener("close", () => {
  forgetSecret();
  // The session ended while the secret was open: the sign-out it waited for.
  if (endedUnder !== null) signOut(endedUnder);
});
`;
