/**
 * The operator's console (docs/console.md): one HTML page, its stylesheet and its one script,
 * served by the Worker from its own origin under a CSP that allows nothing else. The page is
 * static: everything it shows comes from the admin API, called by the script with a token it
 * keeps in memory only.
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
  <div id="who" hidden><span id="who-text"></span> <button type="button" id="sign-out">Sign out</button></div>
</header>
<p class="status"><span id="busy" class="busy" aria-hidden="true">Working…</span><span id="status" role="status" aria-live="polite"></span></p>
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
<p id="rights" class="notice" hidden></p>
<section id="keys" aria-labelledby="keys-title">
  <h2 id="keys-title">Application keys</h2>
  <div class="toolbar">
    <label for="search">Search by name or client_id</label>
    <input id="search" type="search" spellcheck="false">
    <button type="button" id="new-key" data-needs="application_keys">Create a key</button>
  </div>
  <div class="table-wrap">
  <table id="key-table">
    <caption class="visually-hidden">Application keys</caption>
    <thead><tr><th scope="col">Name</th><th scope="col">client_id</th><th scope="col">Scope</th><th scope="col">Grant types</th><th scope="col">Auth method</th><th scope="col">Quota</th><th scope="col">Created</th><th scope="col">Updated</th><th scope="col"><span class="visually-hidden">Actions</span></th></tr></thead>
    <tbody id="key-rows"></tbody>
  </table>
  </div>
  <nav class="pager" aria-label="Key pages">
    <button type="button" id="keys-prev" disabled>Previous</button> <span id="keys-page"></span> <button type="button" id="keys-next" disabled>Next</button>
  </nav>
</section>

<section id="audit" aria-labelledby="audit-title">
  <h2 id="audit-title">Audit trail</h2>
  <ol id="audit-rows" class="audit"></ol>
  <nav class="pager" aria-label="Audit pages">
    <button type="button" id="audit-newer" disabled>Newer</button> <span id="audit-page"></span> <button type="button" id="audit-older" disabled>Older</button>
  </nav>
</section>

<section id="create" aria-labelledby="create-title" hidden>
  <h2 id="create-title">Create a key</h2>
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
    <fieldset aria-describedby="c-token_quota-error">
      <legend>Token quota (optional)</legend>
      <label for="c-per-hour">per hour</label>
      <input id="c-per-hour" type="number" min="1" inputmode="numeric">
      <label for="c-per-day">per day</label>
      <input id="c-per-day" type="number" min="1" inputmode="numeric">
    </fieldset>
    <p id="c-token_quota-error" class="error"></p>
    <p id="create-error" class="error" role="alert"></p>
    <button type="submit" data-needs="application_keys">Create</button> <button type="button" id="create-cancel">Cancel</button>
  </form>
</section>

<section id="detail" aria-labelledby="detail-title" hidden>
  <h2 id="detail-title">Key</h2>
  <dl id="detail-facts"></dl>
  <div id="usage" hidden>
    <h3>Quota use</h3>
    <div id="usage-bars"></div>
  </div>
  <form id="rename-form" novalidate>
    <label for="d-name">Name</label>
    <input id="d-name" required maxlength="255" aria-describedby="d-name-error">
    <p id="d-name-error" class="error"></p>
    <button type="submit" data-needs="application_keys">Rename</button>
  </form>
  <form id="scope-form" novalidate>
    <label for="d-scope">Scope</label>
    <input id="d-scope" spellcheck="false" aria-describedby="d-scope-note d-scope-error">
    <fieldset>
      <legend>Grant types</legend>
      <label class="inline"><input type="checkbox" name="d-grant" value="client_credentials"> client_credentials</label>
      <label class="inline"><input type="checkbox" name="d-grant" value="implicit"> implicit</label>
    </fieldset>
    <p id="d-scope-note" class="hint">Narrowing revokes every token the key holds that carries more; widening revokes nothing.</p>
    <p id="d-scope-error" class="error"></p>
    <button type="submit" data-needs="application_keys">Save scope and grants</button>
  </form>
  <p id="detail-error" class="error" role="alert"></p>
  <button type="button" id="delete-key" class="danger" data-needs="application_keys">Delete this key</button>
  <button type="button" id="detail-close">Back to the list</button>
  <h3>This key's audit trail</h3>
  <ol id="key-audit" class="audit"></ol>
  <nav class="pager" aria-label="This key's audit pages">
    <button type="button" id="key-audit-newer" disabled>Newer</button> <span id="key-audit-page"></span> <button type="button" id="key-audit-older" disabled>Older</button>
  </nav>
</section>


</div>
</main>

<dialog id="secret-dialog" aria-labelledby="secret-title">
  <h2 id="secret-title">The key's secret</h2>
  <p class="warning">Copy it now: it is not shown again, and nobody can read it back. Lost, the key needs a new secret.</p>
  <p><label for="secret-value">client_secret</label> <input id="secret-value" readonly spellcheck="false"></p>
  <p><label for="secret-client">client_id</label> <input id="secret-client" readonly spellcheck="false"></p>
  <button type="button" id="secret-copy">Copy the secret</button> <span id="secret-copied" role="status"></span>
  <button type="button" id="secret-close">I have copied it</button>
</dialog>

<dialog id="delete-dialog" aria-labelledby="delete-title">
  <h2 id="delete-title">Delete this key?</h2>
  <p id="delete-text"></p>
  <button type="button" id="delete-confirm" class="danger">Delete and revoke</button>
  <button type="button" id="delete-cancel">Keep it</button>
</dialog>
</body>
</html>
`;

export const CONSOLE_CSS = `:root{--fg:#1a1a1a;--muted:#555;--line:#ccc;--accent:#0645ad;--danger:#b00020;--bg:#fff;--focus:#ffbf47}
*{box-sizing:border-box}
body{font:16px/1.5 system-ui,sans-serif;color:var(--fg);background:var(--bg);margin:0 auto;max-width:72rem;padding:0 1rem 3rem}
header{display:flex;flex-wrap:wrap;align-items:center;justify-content:space-between;gap:.5rem;border-bottom:1px solid var(--line);padding:.75rem 0}
h1{font-size:1.4rem;margin:0}h2{font-size:1.2rem;margin:1.5rem 0 .5rem}h3{font-size:1rem;margin:1rem 0 .25rem}
label{display:block;margin:.5rem 0 .15rem;font-weight:600}label.inline{display:inline-block;font-weight:400;margin-right:1rem}
input,select,textarea,button{font:inherit}
input:not([type=checkbox]),select,textarea{width:100%;max-width:36rem;padding:.4rem;border:1px solid #767676;border-radius:3px}
button{padding:.4rem .8rem;border:1px solid var(--accent);background:var(--accent);color:#fff;border-radius:3px;cursor:pointer;min-height:2.5rem}
button[type=button]:not(.danger){background:#fff;color:var(--accent)}
button.danger{background:var(--danger);border-color:var(--danger);color:#fff}
button:disabled{opacity:.55;cursor:not-allowed}
:focus-visible{outline:3px solid var(--focus);outline-offset:2px}
fieldset{border:1px solid var(--line);margin:.75rem 0;max-width:36rem}
.error{color:var(--danger);min-height:1.5em;margin:.15rem 0}.hint{color:var(--muted);margin:.15rem 0}
.notice{background:#fff8e1;border:1px solid #f0c36d;padding:.5rem .75rem}
.warning{background:#fdecea;border:1px solid var(--danger);padding:.5rem .75rem}
.status{min-height:1.5em;color:var(--muted);margin:.5rem 0}
.busy{visibility:hidden;margin-right:.75rem}.busy[data-busy]{visibility:visible}
.busy::before{content:"";display:inline-block;width:.8em;height:.8em;margin-right:.4em;border:2px solid var(--muted);border-right-color:transparent;border-radius:50%;animation:spin 1s linear infinite;vertical-align:-.1em}
@keyframes spin{to{transform:rotate(360deg)}}
@media (prefers-reduced-motion:reduce){.busy::before{animation:none}}
.toolbar{display:flex;flex-wrap:wrap;align-items:end;gap:.5rem 1rem}.toolbar label{width:100%}.toolbar input{flex:1 1 14rem}
.table-wrap{overflow:auto;height:24rem;margin-top:.5rem;border:1px solid var(--line)}
thead th{position:sticky;top:0;background:var(--bg)}
table{border-collapse:collapse;width:100%;font-size:.95rem}
th,td{text-align:left;border-bottom:1px solid var(--line);padding:.35rem .5rem;vertical-align:top}
td code{font:13px ui-monospace,monospace;word-break:break-all}
.pager{margin:.5rem 0;display:flex;align-items:center;gap:.75rem}
.audit{padding-left:1.25rem;height:16rem;overflow:auto;border:1px solid var(--line);margin:.25rem 0}.audit li{margin:.35rem 0}
.bar{display:block;width:100%;max-width:36rem;height:1.25rem}
dl{display:grid;grid-template-columns:max-content 1fr;gap:.2rem 1rem;max-width:48rem}dt{font-weight:600}dd{margin:0;word-break:break-all}
dialog{max-width:36rem;width:calc(100% - 2rem);border:1px solid var(--line);border-radius:4px}
dialog::backdrop{background:rgba(0,0,0,.4)}
.visually-hidden{position:absolute;width:1px;height:1px;overflow:hidden;clip:rect(0 0 0 0);white-space:nowrap}
@media (max-width:40rem){th:nth-child(5),td:nth-child(5),th:nth-child(7),td:nth-child(7),th:nth-child(8),td:nth-child(8){display:none}}
`;
