import readme from "../../README.md";
import { type Env, settings } from "../env.ts";
import { issuerFor } from "../http/issuer.ts";
import { PUBLIC_CACHE } from "../http/response.ts";
import openapiDocument from "../openapi.json";

/** GET /openapi.json: the API's OpenAPI 3.1 description, with this deployment as its server. */
export function openapi(request: Request, env: Env): Response {
  return new Response(documentFor(issuerFor(request, settings(env))), {
    headers: { "Content-Type": "application/json", ...PUBLIC_CACHE },
  });
}

// Serialised once per issuer: there is one in production, a few in local development.
const serialised = new Map<string, string>();
function documentFor(issuer: string): string {
  let text = serialised.get(issuer);
  if (text === undefined) {
    text = JSON.stringify({ ...openapiDocument, servers: [{ url: issuer }] });
    if (serialised.size < 16) serialised.set(issuer, text);
  }
  return text;
}

/** GET /README.md: the project's README, bundled as text (wrangler.toml's [[rules]]). */
export function readmeDocument(): Response {
  return new Response(readme, { headers: { "Content-Type": "text/markdown; charset=utf-8", ...PUBLIC_CACHE } });
}
