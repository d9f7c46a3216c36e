/**
 * The console's stylesheet (docs/console.md), served as /console/console.css. From 360 px up the
 * page is never wider than the screen: below 75rem the key and signing-key tables become cards,
 * ids (client_ids, key ids, kids) are small monospace that fits a phone's width and never wraps
 * at a hyphen, and no text is broken inside a word.
 */
export const CONSOLE_CSS = `:root{--fg:#1a1a1a;--muted:#555;--line:#ccc;--accent:#0645ad;--danger:#b00020;--bg:#fff;--focus:#ffbf47;--soft:#f5f7fa}
*{box-sizing:border-box}
body{font:16px/1.5 system-ui,sans-serif;color:var(--fg);background:var(--bg);margin:0 auto;max-width:72rem;padding:0 1rem 8rem}
header{display:flex;align-items:center;justify-content:space-between;gap:.5rem;min-height:4.2rem;border-bottom:1px solid var(--line);padding:.75rem 0}
h1{font-size:1.4rem;margin:0}h2{font-size:1.2rem;margin:1rem 0 .5rem}h3{font-size:1rem;margin:1.5rem 0 .25rem}
p{margin:.4rem 0}
label{display:block;margin:.5rem 0 .15rem;font-weight:600}label.inline{display:inline-block;font-weight:400;margin-right:1rem}label.block{display:block}
input,select,textarea,button{font:inherit}
input:not([type=checkbox]):not([type=radio]),select,textarea{width:100%;max-width:36rem;padding:.4rem;border:1px solid #767676;border-radius:3px}
button{padding:.4rem .8rem;border:1px solid var(--accent);background:var(--accent);color:#fff;border-radius:3px;cursor:pointer;min-height:2.5rem}
button[type=button]:not(.danger){background:#fff;color:var(--accent)}
button.danger{background:var(--danger);border-color:var(--danger);color:#fff}
button:disabled{opacity:.55;cursor:not-allowed}
:focus-visible{outline:3px solid var(--focus);outline-offset:2px}
fieldset{border:1px solid var(--line);margin:.75rem 0;max-width:36rem;min-width:0}
.error{color:var(--danger);margin:.15rem 0}.error:empty{display:none}.hint{color:var(--muted);margin:.15rem 0}
.notice{background:#fff8e1;border:1px solid #f0c36d;padding:.5rem .75rem}
.warning{background:#fdecea;border:1px solid var(--danger);padding:.5rem .75rem}
.statusbar{position:fixed;left:0;right:0;bottom:0;background:var(--bg);padding:0 1rem}
.statusbar:has(#status:not(:empty)),.statusbar:has(.busy[data-busy]){border-top:2px solid var(--accent);padding:.4rem 1rem .6rem}
.statusbar p{max-width:70rem;margin:0 auto}
.busy{display:none;color:var(--muted)}.busy[data-busy]{display:block}
.when,.nowrap{white-space:nowrap}
.busy::before{content:"";display:inline-block;width:.8em;height:.8em;margin-right:.4em;border:2px solid var(--muted);border-right-color:transparent;border-radius:50%;animation:spin 1s linear infinite;vertical-align:-.1em}
@keyframes spin{to{transform:rotate(360deg)}}
@media (prefers-reduced-motion:reduce){.busy::before{animation:none}}
.views{display:flex;flex-wrap:wrap;gap:.5rem;margin:.75rem 0}
.views button[aria-current=page]{background:var(--accent);color:#fff}
.toolbar{display:flex;flex-wrap:wrap;align-items:end;gap:.5rem 1rem}.toolbar .grow{flex:1 1 14rem}
.actions{display:flex;flex-wrap:wrap;gap:.5rem;margin:.75rem 0}
.id{font:.75rem/1.6 ui-monospace,monospace;white-space:nowrap}
.table-wrap{overflow-x:auto;margin-top:.5rem}
table{border-collapse:collapse;width:100%;font-size:.95rem}
th,td{text-align:left;border-bottom:1px solid var(--line);padding:.35rem .5rem;vertical-align:top}
thead th{background:var(--soft)}
#key-rows{min-height:20rem}
.pager{margin:.5rem 0;display:flex;flex-wrap:wrap;align-items:center;gap:.25rem .75rem}
.audit{list-style:none;padding:0;margin:.25rem 0;min-height:12rem;border-top:1px solid var(--line)}
.audit>li{border-bottom:1px solid var(--line);padding:.4rem 0}
.audit p{margin:0}.audit time{color:var(--muted);font-size:.9rem}
.audit ul{margin:.1rem 0 .1rem 1.25rem;padding:0}
.audit details{font-size:.9rem;color:var(--muted)}
.plain{list-style:none;padding:0}
@media (min-width:64rem){
  .split{display:grid;grid-template-columns:minmax(0,1fr) minmax(0,1fr);grid-template-rows:auto 1fr;grid-template-areas:"facts forms" "trail forms";gap:0 2.5rem;align-items:start}
  .split-facts{grid-area:facts}.split-forms{grid-area:forms}.split-trail{grid-area:trail}
  .split-forms h3:first-child{margin-top:.5rem}
}
.bar{display:block;width:100%;max-width:36rem;height:1.25rem}
.facts{display:grid;grid-template-columns:max-content minmax(0,1fr);gap:.2rem 1rem;max-width:48rem}.facts dt{font-weight:600}.facts dd{margin:0}
dialog{max-width:36rem;width:calc(100% - 1rem);max-height:calc(100% - 1rem);border:1px solid var(--line);border-radius:4px;padding:1rem}
dialog h2{margin-top:0}
dialog::backdrop{background:rgba(0,0,0,.4)}
.visually-hidden{position:absolute;width:1px;height:1px;overflow:hidden;clip:rect(0 0 0 0);white-space:nowrap}
@media (max-width:74.99rem){
  table.cards,table.cards tbody,table.cards tr,table.cards td{display:block}
  table.cards thead{position:absolute;width:1px;height:1px;overflow:hidden;clip:rect(0 0 0 0)}
  table.cards tbody{display:grid;grid-template-columns:repeat(auto-fill,minmax(min(100%,18rem),1fr));gap:.75rem}
  table.cards tr{border:1px solid var(--line);border-radius:4px;padding:.4rem .5rem}
  table.cards td{border:0;padding:.1rem 0}
  table.cards td[data-label]::before{content:attr(data-label) ": ";font-weight:600}
  table.cards td.name{font-weight:600;font-size:1.05rem}
  #key-rows{min-height:0}
}
#sign-out{white-space:nowrap}
@media (max-width:40rem){
  h1{font-size:1.2rem}
  body{padding:0 .75rem 8rem}.statusbar{padding-left:.75rem;padding-right:.75rem}
  .facts{grid-template-columns:minmax(0,1fr)}.facts dd{margin-bottom:.35rem}
}
`;
