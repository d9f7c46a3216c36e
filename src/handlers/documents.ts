import api from "../../docs/api.md";
import architecture from "../../docs/architecture.md";
import benchmark from "../../docs/benchmark.md";
import cli from "../../docs/cli.md";
import consoleDoc from "../../docs/console.md";
import permissions from "../../docs/permissions.md";
import rotation from "../../docs/rotation.md";
import security from "../../docs/security.md";
import settingsDoc from "../../docs/settings.md";
import storage from "../../docs/storage.md";
import verifyingTokens from "../../docs/verifying-tokens.md";
import readme from "../../README.md";
import { type Env, issuerFor, settings } from "../config/settings.ts";
import { routeParam } from "../http/context.ts";
import { PUBLIC_CACHE } from "../http/response.ts";
import { HttpError } from "../lib/errors.ts";
import { adminAudience } from "../oauth/resource.ts";
import openapiDocument from "../openapi.json";

/** GET /openapi.json: the API's OpenAPI 3.1 description, with this deployment as its server. */
export function getOpenApi(request: Request, env: Env): Response {
  return new Response(documentFor(issuerFor(request, settings(env))), {
    headers: { "Content-Type": "application/json", ...PUBLIC_CACHE },
  });
}

// Serialised once per issuer: there is one in production, a few in local development.
const serialised = new Map<string, string>();
function documentFor(issuer: string): string {
  let text = serialised.get(issuer);
  if (text === undefined) {
    const { securitySchemes } = openapiDocument.components;
    // The admin API's audience is absolute: this deployment's issuer in front of its path.
    const edgeToken = { ...securitySchemes.edgeToken, "x-audience": adminAudience(issuer) };
    const components = { ...openapiDocument.components, securitySchemes: { ...securitySchemes, edgeToken } };
    text = JSON.stringify({ ...openapiDocument, servers: [{ url: issuer }], components });
    if (serialised.size < 16) serialised.set(issuer, text);
  }
  return text;
}

/** GET /README.md: the project's README, bundled as text (wrangler.toml's [[rules]]). */
export function getReadme(): Response {
  return markdown(readme);
}

const DOCS: Record<string, string> = {
  "api.md": api,
  "architecture.md": architecture,
  "benchmark.md": benchmark,
  "cli.md": cli,
  "console.md": consoleDoc,
  "permissions.md": permissions,
  "rotation.md": rotation,
  "security.md": security,
  "settings.md": settingsDoc,
  "storage.md": storage,
  "verifying-tokens.md": verifyingTokens,
};

/** GET /docs/: the documents there are, each a link to itself (relative: it resolves under /docs/). */
export function listDocs(): Response {
  const items = Object.keys(DOCS).map((name) => `- [${name}](${name})`);
  return markdown(
    `# edge-token: the reference\n\nAlso in the repository's docs/; the README is at [/README.md](/README.md).\n\n${items.join("\n")}\n`,
  );
}

/** GET /docs/:name: the reference the README links to, so its links work where it is served. */
export function getDoc(request: Request): Response {
  const name = routeParam(request, "name");
  const text = Object.hasOwn(DOCS, name) ? DOCS[name] : undefined;
  if (text === undefined) throw new HttpError(404, "not_found", "There is no such document.");
  return markdown(text);
}

const markdown = (text: string) => new Response(text, { headers: { "Content-Type": "text/markdown; charset=utf-8", ...PUBLIC_CACHE } });
