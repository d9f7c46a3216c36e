/**
 * The console script's calls to the admin API, as the session's token: the token is held in
 * `session` (set by signing in, script-session.ts) and nowhere else, no storage, no cookie. An
 * answer that arrives once its session has ended never reaches the page; a 401 signs out. Requests
 * in flight show in the status bar. PAGE is how many entries a listing asks for a page.
 */
export const API_JS = String.raw`const PAGE = 10;
let session = null;
let busy = 0;

class ApiError extends Error {
  constructor(status, body) {
    const e = (body && body.errors && body.errors[0]) || {};
    super(e.detail || "The service answered " + status + ".");
    this.status = status;
    this.code = e.code;
    const named = /"data\.([a-z_]+)/.exec(this.message);
    this.field = named ? named[1] : undefined;
  }
}

function showBusy() {
  if (busy > 0) $("busy").setAttribute("data-busy", "");
  else $("busy").removeAttribute("data-busy");
}

async function request(path, init) {
  busy++;
  showBusy();
  try {
    return await fetch(path, init);
  } finally {
    busy--;
    showBusy();
  }
}

/** Never settles: what a call answers once its session has ended, so nothing of it reaches the next operator's page. */
const forgotten = () => new Promise(() => {});

/**
 * A call to the admin API as the session's token. An answer that arrives once the session has
 * ended is dropped, but for o.shownOnce (a new secret, made before the end): that one is still
 * the operator's to copy, as long as nobody has signed in since.
 */
async function api(path, method, data, o) {
  const held = session;
  if (!held) return forgotten();
  const headers = { Authorization: "Bearer " + held.token };
  let body;
  if (data !== undefined) {
    headers["Content-Type"] = "application/json";
    body = JSON.stringify({ data: data });
  }
  const res = await request(path, { method: method || "GET", headers: headers, body: body });
  const parsed = res.status === 204 ? null : await res.json().catch(() => null);
  if (session !== held) return o && o.shownOnce && session === null && res.ok ? parsed : forgotten();
  if (res.status === 401) {
    signOut("Your session ended: the token expired or was revoked. Sign in again.");
    return forgotten();
  }
  if (!res.ok) throw new ApiError(res.status, parsed);
  return parsed;
}
`;
