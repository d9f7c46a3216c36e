/**
 * A quota's two fields, per hour and per day (ids `${ids}-per-hour`, `${ids}-per-day`, which the
 * script reads), and the line below them where an API error naming the quota shows (`error`).
 */
const quotaFields = (ids: string, error: string, legend: string) => `    <fieldset aria-describedby="${error}">
      <legend>${legend}</legend>
      <label for="${ids}-per-hour">per hour</label>
      <input id="${ids}-per-hour" type="number" min="1" inputmode="numeric">
      <label for="${ids}-per-day">per day</label>
      <input id="${ids}-per-day" type="number" min="1" inputmode="numeric">
    </fieldset>
    <p id="${error}" class="error"></p>`;

/**
 * The operator's console (docs/console.md): one HTML page, its stylesheet (style.ts) and its one
 * script (script.ts), served by the Worker from its own origin under a CSP that allows nothing
 * else. The page is static: everything it shows comes from the admin API, called by the script
 * with a token it keeps in memory only. One view shows at a time (the keys, a key, the audit
 * trail, the signing keys), each fitting a 360 px screen without sideways scrolling.
 */
export const CONSOLE_HTML = `<!doctype html>
<html lang="en">
<head>
<meta charset="utf-8">
<meta name="viewport" content="width=device-width,initial-scale=1">
<title>edge-token console</title>
<link rel="stylesheet" href="/console/console.css">
<script type="module" src="/console/console.js"></script>
</head>
<body>
<header>
  <h1>edge-token console</h1>
  <button type="button" id="sign-out" hidden>Sign out</button>
</header>
<noscript><p class="notice">The console needs JavaScript: it signs in and calls the admin API from this page. Without it, use <code>npm run keys</code> or the API (<a href="/docs/api.md">docs/api.md</a>).</p></noscript>
<main>
<section id="signin" aria-labelledby="signin-title" hidden>
  <h2 id="signin-title">Sign in</h2>
  <p>With a key manager's client_id and secret. The token and the secret stay in this page's memory: nothing is stored, and closing the tab signs out.</p>
  <form id="signin-form" novalidate>
    <label for="signin-id">client_id</label>
    <input id="signin-id" name="client_id" autocomplete="username" spellcheck="false" required>
    <label for="signin-secret">client_secret</label>
    <input id="signin-secret" name="client_secret" type="password" autocomplete="off" required>
    <p id="signin-error" class="error" role="alert"></p>
    <button type="submit">Sign in</button>
  </form>
</section>

<div id="app" hidden>
<p id="who-text" class="hint"></p>
<nav class="views" aria-label="Console">
  <button type="button" id="view-keys" data-view="keys">Keys</button>
  <button type="button" id="view-audit" data-view="audit">Audit trail</button>
  <button type="button" id="view-signing" data-view="signing">Signing keys</button>
</nav>
<p id="rights" class="notice" hidden></p>

<section id="keys" aria-labelledby="keys-title">
  <h2 id="keys-title" tabindex="-1">Application keys</h2>
  <div class="toolbar">
    <div class="grow">
      <label for="search">Search by name or client_id</label>
      <input id="search" type="search" spellcheck="false">
    </div>
    <button type="button" id="new-key" data-needs="application_keys">Create a key</button>
  </div>
  <nav class="pager" aria-label="Key pages">
    <span id="keys-page"></span> <span><button type="button" id="keys-prev" disabled>Previous</button> <button type="button" id="keys-next" disabled>Next</button></span>
  </nav>
  <div class="table-wrap">
  <table id="key-table" class="cards" role="table">
    <caption class="visually-hidden">Application keys</caption>
    <thead role="rowgroup"><tr role="row"><th scope="col" role="columnheader">Name</th><th scope="col" role="columnheader">client_id</th><th scope="col" role="columnheader">Scope</th><th scope="col" role="columnheader">Grant types</th><th scope="col" role="columnheader">Proves itself with</th><th scope="col" role="columnheader">Quota</th><th scope="col" role="columnheader"><span class="visually-hidden">Actions</span></th></tr></thead>
    <tbody id="key-rows" role="rowgroup"></tbody>
  </table>
  </div>
</section>

<section id="create" aria-labelledby="create-title" hidden>
  <h2 id="create-title" tabindex="-1">Create a key</h2>
  <form id="create-form" novalidate>
    <label for="c-name">Name</label>
    <input id="c-name" name="name" required maxlength="255" aria-describedby="c-name-error">
    <p id="c-name-error" class="error"></p>
    <label for="c-scope">Scope (space-delimited)</label>
    <input id="c-scope" name="scope" spellcheck="false" aria-describedby="c-scope-hint c-scope-error">
    <p id="c-scope-hint" class="hint"></p>
    <p id="c-scope-error" class="error"></p>
    <fieldset aria-describedby="c-grant_types-error">
      <legend>Grant types</legend>
      <label class="inline"><input type="checkbox" name="grant" value="client_credentials" checked> client_credentials</label>
      <label class="inline"><input type="checkbox" name="grant" value="implicit"> implicit</label>
    </fieldset>
    <p id="c-grant_types-error" class="error"></p>
    <label for="c-auth">How the key proves itself</label>
    <select id="c-auth" name="token_endpoint_auth_method" aria-describedby="c-token_endpoint_auth_method-error">
      <option value="client_secret_basic">a secret (client_secret_basic)</option>
      <option value="private_key_jwt">signed assertions (private_key_jwt)</option>
    </select>
    <p id="c-token_endpoint_auth_method-error" class="error"></p>
    <div id="c-jwks-box" hidden>
      <label for="c-jwks">Public keys (JWKS), pasted</label>
      <textarea id="c-jwks" name="jwks" rows="4" spellcheck="false" aria-describedby="c-jwks-error"></textarea>
      <label for="c-jwks-file">or uploaded</label>
      <input id="c-jwks-file" type="file" accept="application/json,.json">
      <p id="c-jwks-error" class="error"></p>
    </div>
    <label class="inline"><input type="checkbox" id="c-dpop" name="dpop_bound_access_tokens"> DPoP-bound tokens only</label>
${quotaFields("c", "c-token_quota-error", "Token quota (optional)")}
    <p id="create-error" class="error" role="alert"></p>
    <div class="actions"><button type="submit" data-needs="application_keys">Create</button> <button type="button" id="create-cancel">Cancel</button></div>
  </form>
</section>

<section id="detail" aria-labelledby="detail-title" hidden>
  <h2 id="detail-title" tabindex="-1">Key</h2>
  <button type="button" id="detail-close">Back to the list</button>
  <p id="detail-error" class="error" role="alert"></p>
  <div class="split">
  <div class="split-facts">
  <dl id="detail-facts" class="facts"></dl>
  <div id="usage" hidden>
    <h3>Quota use</h3>
    <div id="usage-bars"></div>
  </div>
  </div>

  <div class="split-forms">
  <h3 id="d-name-title">Name</h3>
  <form id="rename-form" aria-labelledby="d-name-title" novalidate>
    <label for="d-name">The key's name</label>
    <input id="d-name" required maxlength="255" aria-describedby="d-name-error">
    <p id="d-name-error" class="error"></p>
    <button type="submit" data-needs="application_keys">Rename</button>
  </form>

  <h3 id="d-scope-title">Scope and grant types</h3>
  <form id="scope-form" aria-labelledby="d-scope-title" novalidate>
    <label for="d-scope">Scope</label>
    <input id="d-scope" spellcheck="false" aria-describedby="d-scope-note d-scope-error">
    <fieldset aria-describedby="d-grant_types-error">
      <legend>Grant types</legend>
      <label class="inline"><input type="checkbox" name="d-grant" value="client_credentials"> client_credentials</label>
      <label class="inline"><input type="checkbox" name="d-grant" value="implicit"> implicit</label>
    </fieldset>
    <p id="d-scope-note" class="hint">Narrowing revokes every token the key holds that carries more; widening revokes nothing.</p>
    <p id="d-scope-error" class="error"></p>
    <p id="d-grant_types-error" class="error"></p>
    <button type="submit" data-needs="application_keys">Save scope and grants</button>
  </form>

  <h3 id="d-limits-title">Quotas and DPoP</h3>
  <form id="limits-form" aria-labelledby="d-limits-title" novalidate>
${quotaFields("d", "d-token_quota-error", "Token quota (its backend's tokens)")}
${quotaFields("d-implicit", "d-implicit_quota-error", "Implicit quota (its storefront's tokens)")}
    <label class="inline"><input type="checkbox" id="d-dpop" aria-describedby="d-limits-note d-dpop_bound_access_tokens-error"> DPoP-bound tokens only</label>
    <p id="d-limits-note" class="hint">An empty quota is none: unlimited. Turning DPoP binding on revokes every token the key holds (bearer tokens would still work); turning it off revokes nothing.</p>
    <p id="d-dpop_bound_access_tokens-error" class="error"></p>
    <button type="submit" data-needs="application_keys">Save quotas and DPoP</button>
  </form>

  <div id="d-jwks-box" hidden>
    <h3 id="d-jwks-title">Public keys (JWKS)</h3>
    <form id="jwks-form" aria-labelledby="d-jwks-title" novalidate>
      <label for="d-jwks">The key's public keys, {"keys":[…]}</label>
      <textarea id="d-jwks" rows="6" spellcheck="false" aria-describedby="d-jwks-note d-jwks-error"></textarea>
      <label for="d-jwks-file">or uploaded</label>
      <input id="d-jwks-file" type="file" accept="application/json,.json">
      <p id="d-jwks-note" class="hint">This is how its keys rotate: add the new key beside the old one, move the client to it, then save the set without the old one.</p>
      <p id="d-jwks-error" class="error"></p>
      <button type="submit" data-needs="application_keys">Replace the public keys</button>
    </form>
  </div>

  <h3>Secret</h3>
  <p id="d-secret-text"></p>
  <button type="button" id="rotate-secret" data-needs="application_keys" aria-describedby="d-secret-text">New secret</button>

  <h3>Delete</h3>
  <p class="hint">Revokes every token the key was ever issued; it cannot be undone.</p>
  <button type="button" id="delete-key" class="danger" data-needs="application_keys">Delete this key</button>
  </div>

  <div class="split-trail">
  <h3 id="key-audit-title">This key's audit trail</h3>
  <nav class="pager" aria-label="This key's audit pages">
    <span id="key-audit-page"></span> <span><button type="button" id="key-audit-newer" disabled>Newer</button> <button type="button" id="key-audit-older" disabled>Older</button></span>
  </nav>
  <ol id="key-audit" class="audit" aria-labelledby="key-audit-title"></ol>
  </div>
  </div>
</section>

<section id="audit" aria-labelledby="audit-title" hidden>
  <h2 id="audit-title" tabindex="-1">Audit trail</h2>
  <p class="hint">Every change to an application key, newest first: who made it, when, and what it changed.</p>
  <form id="audit-filters" class="toolbar" novalidate>
    <div>
      <label for="audit-action">Action</label>
      <select id="audit-action"><option value="">every action</option></select>
    </div>
    <div class="grow">
      <label for="audit-key">Key</label>
      <select id="audit-key"><option value="">every key</option></select>
    </div>
  </form>
  <nav class="pager" aria-label="Audit pages">
    <span id="audit-page"></span> <span><button type="button" id="audit-newer" disabled>Newer</button> <button type="button" id="audit-older" disabled>Older</button></span>
  </nav>
  <ol id="audit-rows" class="audit" aria-labelledby="audit-title"></ol>
</section>

<section id="signing" aria-labelledby="signing-title" hidden>
  <h2 id="signing-title" tabindex="-1">Signing keys</h2>
  <p class="hint">The service's own keys, which sign every token. They rotate by themselves; here you can see them, rotate early, or replace a leaked one.</p>
  <p id="signing-rights" class="notice" hidden></p>
  <p id="signing-kek" class="warning" hidden></p>
  <h3>Next scheduled step</h3>
  <p id="signing-next"></p>
  <div class="actions">
    <button type="button" id="signing-rotate" data-needs="signing_keys">Rotate now</button>
    <button type="button" id="signing-emergency" class="danger" data-needs="signing_keys">Emergency rotation</button>
  </div>
  <h3>In the JWKS</h3>
  <div class="table-wrap">
  <table id="signing-table" class="cards" role="table">
    <caption class="visually-hidden">Signing keys in the JWKS</caption>
    <thead role="rowgroup"><tr role="row"><th scope="col" role="columnheader">kid</th><th scope="col" role="columnheader">Algorithm</th><th scope="col" role="columnheader">State</th><th scope="col" role="columnheader">Times</th></tr></thead>
    <tbody id="signing-rows" role="rowgroup"></tbody>
  </table>
  </div>
  <details id="signing-retired-box">
    <summary id="signing-retired-title">Retired keys</summary>
    <ul id="signing-retired" class="plain"></ul>
  </details>
  <h3 id="signing-audit-title">The signing keys' audit trail</h3>
  <nav class="pager" aria-label="Signing audit pages">
    <span id="signing-audit-page"></span> <span><button type="button" id="signing-audit-newer" disabled>Newer</button> <button type="button" id="signing-audit-older" disabled>Older</button></span>
  </nav>
  <ol id="signing-audit" class="audit" aria-labelledby="signing-audit-title"></ol>
</section>
</div>
</main>
<div class="statusbar"><p id="busy" class="busy" aria-hidden="true">Working…</p><p id="status" role="status" aria-live="polite"></p></div>

<dialog id="secret-dialog" aria-labelledby="secret-title" aria-describedby="secret-warning">
  <h2 id="secret-title">The key's secret</h2>
  <p id="secret-warning" class="warning">Copy it now: it is not shown again, and nobody can read it back. Lost, the key needs a new secret.</p>
  <p id="secret-ended" class="warning" role="alert" hidden>This console's session has ended: copy the secret before you close this. It is not shown again, and closing it signs you out.</p>
  <p id="secret-old" hidden></p>
  <label for="secret-value">client_secret</label>
  <input id="secret-value" readonly spellcheck="false">
  <label for="secret-client">client_id</label>
  <input id="secret-client" readonly spellcheck="false">
  <p><button type="button" id="secret-copy">Copy the secret</button> <span id="secret-copied" role="status"></span></p>
  <div id="secret-leave" class="warning" hidden>
    <p id="secret-leave-text">Close without the secret? It cannot be shown again: lost, the key needs another new secret.</p>
    <button type="button" id="secret-stay">Back to the secret</button> <button type="button" id="secret-discard" class="danger">Close, it is gone</button>
  </div>
  <div class="actions"><button type="button" id="secret-close">I have copied it</button></div>
</dialog>

<dialog id="rotate-dialog" aria-labelledby="rotate-title">
  <h2 id="rotate-title">A new secret</h2>
  <form id="rotate-form" novalidate>
    <fieldset>
      <legend>How long the old secret keeps working</legend>
      <label class="inline block"><input type="radio" name="keep-old" value="86400" checked> 24 hours</label>
      <label class="inline block"><input type="radio" name="keep-old" value="3600"> 1 hour</label>
      <label class="inline block"><input type="radio" name="keep-old" value="0"> Not at all: it has leaked</label>
    </fieldset>
    <p id="rotate-consequence" class="hint"></p>
    <p id="rotate-error" class="error" role="alert"></p>
    <div class="actions"><button type="submit" id="rotate-confirm">Make a new secret</button> <button type="button" id="rotate-cancel">Cancel</button></div>
  </form>
</dialog>

<dialog id="delete-dialog" aria-labelledby="delete-title" aria-describedby="delete-text">
  <h2 id="delete-title">Delete this key?</h2>
  <p id="delete-text"></p>
  <div class="actions"><button type="button" id="delete-confirm" class="danger">Delete and revoke</button> <button type="button" id="delete-cancel">Keep it</button></div>
</dialog>

<dialog id="signing-dialog" aria-labelledby="signing-dialog-title" aria-describedby="signing-dialog-text">
  <h2 id="signing-dialog-title">Rotate the signing key?</h2>
  <p id="signing-dialog-text"></p>
  <p id="signing-dialog-tokens" class="warning"></p>
  <p id="signing-dialog-error" class="error" role="alert"></p>
  <div class="actions"><button type="button" id="signing-confirm">Rotate</button> <button type="button" id="signing-cancel">Cancel</button></div>
</dialog>
</body>
</html>
`;
