import { type Env, issuerFor, settings } from "../config/settings.ts";
import { json, PUBLIC_CACHE } from "../http/response.ts";

const DESCRIPTION = "An OAuth 2.0 token service: client_credentials and implicit grants, RFC 9068 JWT access tokens.";

/**
 * GET /: a browser (Accept: text/html) gets a small self-contained page; anything else a JSON
 * index of the same links. Both carry only public facts: the issuer and where to read more.
 */
export async function getRoot(request: Request, env: Env): Promise<Response> {
  const issuer = issuerFor(request, settings(env));
  const links = {
    token_endpoint: `${issuer}/oauth/access_token`,
    metadata: `${issuer}/.well-known/oauth-authorization-server`,
    jwks: `${issuer}/.well-known/jwks.json`,
    openapi: `${issuer}/openapi.json`,
    readme: `${issuer}/README.md`,
    console: `${issuer}/console`,
  };
  const vary = { Vary: "Accept", ...PUBLIC_CACHE };
  if (!(request.headers.get("Accept") ?? "").includes("text/html")) {
    return json({ service: "edge-token", description: DESCRIPTION, issuer, links }, 200, vary);
  }
  return new Response(page(issuer, links), {
    headers: {
      "Content-Type": "text/html; charset=utf-8",
      // Nothing but this page's own style: no scripts, no other origin, no framing.
      "Content-Security-Policy": `default-src 'none'; style-src '${await STYLE_HASH}'; base-uri 'none'; form-action 'none'; frame-ancestors 'none'`,
      "X-Content-Type-Options": "nosniff",
      "Referrer-Policy": "no-referrer",
      ...vary,
    },
  });
}

const STYLE = `body{font:16px/1.5 system-ui,sans-serif;max-width:40rem;margin:3rem auto;padding:0 1rem;color:#1a1a1a}
code{font:14px ui-monospace,monospace;background:#f2f2f2;padding:.1rem .3rem;border-radius:3px}
li{margin:.3rem 0}a{color:#0645ad}`;

// The CSP names the style by its hash: computed once per isolate.
const STYLE_HASH = crypto.subtle
  .digest("SHA-256", new TextEncoder().encode(STYLE))
  .then((d) => `sha256-${btoa(String.fromCharCode(...new Uint8Array(d)))}`);

function page(issuer: string, links: Record<string, string>): string {
  const a = (href: string, text: string) => `<a href="${escapeHtml(href)}">${text}</a>`;
  return `<!doctype html>
<html lang="en"><head><meta charset="utf-8"><meta name="viewport" content="width=device-width,initial-scale=1">
<title>edge-token</title><style>${STYLE}</style></head>
<body><h1>edge-token</h1>
<p>${DESCRIPTION}</p>
<p>Issuer: <code>${escapeHtml(issuer)}</code></p>
<ul>
<li>${a(links.metadata!, "Authorization server metadata")} (RFC 8414)</li>
<li>${a(links.jwks!, "Public signing keys")} (JWKS)</li>
<li>${a(links.openapi!, "OpenAPI 3.1 description")} of the API</li>
<li>${a(links.readme!, "README")}: running, verifying tokens, permissions, deploying</li>
<li>${a(links.console!, "Operator's console")}: application keys, their audit trail and quota use</li>
</ul>
<p>Tokens: <code>POST ${escapeHtml(links.token_endpoint!)}</code></p>
</body></html>
`;
}

const escapeHtml = (s: string) => s.replace(/[&<>"']/g, (c) => `&#${c.charCodeAt(0)};`);
