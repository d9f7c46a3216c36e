import { type IRequest, IttyRouter } from "itty-router";
import { type Env, settings } from "./config/settings.ts";
import { listAuditEntries } from "./handlers/application-key-audit.ts";
import { getApplicationKeyUsage } from "./handlers/application-key-usage.ts";
import {
  createApplicationKey,
  deleteApplicationKey,
  getApplicationKey,
  listApplicationKeys,
  updateApplicationKey,
} from "./handlers/application-keys.ts";
import { getConsole, getConsoleScript, getConsoleStyle } from "./handlers/console.ts";
import { getCutoffs } from "./handlers/cutoffs.ts";
import { getDoc, getOpenApi, getReadme, listDocs } from "./handlers/documents.ts";
import { introspectToken } from "./handlers/introspect.ts";
import { getJwks } from "./handlers/jwks.ts";
import { getMetadata } from "./handlers/metadata.ts";
import { revokeToken } from "./handlers/revoke.ts";
import { getRoot } from "./handlers/root.ts";
import { rotateApplicationKeySecret } from "./handlers/secret-rotation.ts";
import { listSigningKeyEvents, listSigningKeys, rotateSigningKeys } from "./handlers/signing-keys.ts";
import { getStatusList, listStatusLists } from "./handlers/status-lists.ts";
import { createAccessToken } from "./handlers/token.ts";
import { context, type RequestContext } from "./http/context.ts";
import { preflight, withCors } from "./http/cors.ts";
import { logRequest } from "./http/log.ts";
import { errorResponse, GENERIC_500_DETAIL, HttpError, ObjectUnavailableError, SigningUnavailableError } from "./lib/errors.ts";
import { SIGNING_RETRY_AFTER_SECONDS } from "./lib/limits.ts";

type Handler = (request: Request, env: Env, ctx: ExecutionContext) => Response | Promise<Response>;

/**
 * The route table: path → method → handler, each handler named for its operationId in
 * src/openapi.json. itty-router tries the paths in this order, so the token endpoint, the
 * busiest, comes first. Another method on a listed path is a 405 (or a CORS preflight); any
 * other path is a 404. itty-router's patterns allow trailing slashes.
 */
export const routes: [path: string, methods: Record<string, Handler>][] = [
  ["/oauth/access_token", { POST: createAccessToken }],
  ["/oauth/revoke", { POST: revokeToken }],
  ["/oauth/introspect", { POST: introspectToken }],
  ["/v2/application-keys", { GET: listApplicationKeys, POST: createApplicationKey }],
  ["/v2/application-keys/audit", { GET: listAuditEntries }],
  ["/v2/application-keys/:id", { GET: getApplicationKey, PUT: updateApplicationKey, DELETE: deleteApplicationKey }],
  ["/v2/application-keys/:id/usage", { GET: getApplicationKeyUsage }],
  ["/v2/application-keys/:id/secret", { POST: rotateApplicationKeySecret }],
  ["/v2/signing-keys", { GET: listSigningKeys }],
  ["/v2/signing-keys/rotate", { POST: rotateSigningKeys }],
  ["/v2/signing-keys/audit", { GET: listSigningKeyEvents }],
  ["/oauth/status-lists", { GET: listStatusLists }],
  ["/oauth/status-lists/:list", { GET: getStatusList }],
  ["/oauth/cutoffs", { GET: getCutoffs }],
  ["/.well-known/jwks.json", { GET: getJwks }],
  ["/.well-known/oauth-authorization-server", { GET: getMetadata }],
  ["/openapi.json", { GET: getOpenApi }],
  ["/console", { GET: getConsole }],
  ["/console/console.css", { GET: getConsoleStyle }],
  ["/console/console.js", { GET: getConsoleScript }],
  ["/README.md", { GET: getReadme }],
  ["/docs/", { GET: listDocs }],
  ["/docs/:name", { GET: getDoc }],
  ["/", { GET: getRoot }],
];

// itty-router's bare router: it matches and dispatches; the one catch and the one log line
// stay in `handle`, around it, so no stage runs that a request does not need.
const router = IttyRouter<IRequest, [Env, ExecutionContext], Response>();
for (const [path, methods] of routes) {
  for (const [method, handler] of Object.entries(methods)) router[method.toLowerCase()]!(path, handler);
  // RFC 9110 §9.3.2: HEAD is GET without the content, wherever there is a GET.
  const get = methods.GET;
  if (get) router.head(path, get);
  const allowed = get ? [...Object.keys(methods), "HEAD"] : Object.keys(methods);
  router.all(path, (request) => otherMethod(request, allowed));
}
router.all("*", () => {
  throw new HttpError(404, "not_found", "There is nothing at this path.");
});

/** The one place a request is routed, an error becomes a response, and the line is logged. */
export async function handle(request: Request, env: Env, ctx: ExecutionContext): Promise<Response> {
  const c = context(request);
  let response: Response;
  try {
    // Settings first: a misconfigured deployment answers 500 on every path, not just some.
    settings(env);
    // The busiest request goes straight to its handler: the path exactly as the route table has
    // it (any other spelling goes through itty-router, which answers it the same), without
    // itty-router's URL parse, query walk and route match on every token.
    response =
      c.pathname === "/oauth/access_token" && request.method === "POST"
        ? await createAccessToken(request, env)
        : await router.fetch(request, env, ctx);
  } catch (error) {
    response = toErrorResponse(error, c);
  }
  // Every answer to a HEAD, an error's included, is its GET's without the content.
  return finish(request.method === "HEAD" ? withoutContent(response) : response, request, env);
}

/** The same status and headers, and no content. */
function withoutContent(response: Response): Response {
  return new Response(null, { status: response.status, statusText: response.statusText, headers: response.headers });
}

function otherMethod(request: Request, allowed: string[]): Response {
  if (request.method === "OPTIONS") return preflight(allowed);
  throw new HttpError(405, "method_not_allowed", "This method is not allowed on this path.", {
    headers: { Allow: [...allowed, "OPTIONS"].join(", ") },
  });
}

/** A Durable Object that did not answer is the service's passing trouble: retried after this many seconds. */
const OBJECT_RETRY_AFTER_SECONDS = 5;

/** A service that cannot sign, or a Durable Object that did not answer, is a logged 503; anything else unexpected a logged 500 with the generic detail. */
function toErrorResponse(error: unknown, c: RequestContext): Response {
  if (error instanceof HttpError) {
    c.outcome ??= error.code;
    if (error.cause !== undefined) c.error = error;
    return error.toResponse();
  }
  if (error instanceof SigningUnavailableError) {
    // The reason is the operator's (the log line has it), not the caller's.
    c.outcome = "signing_unavailable";
    c.error = error;
    return errorResponse(503, "temporarily_unavailable", "The service cannot sign tokens at the moment.", {
      "Retry-After": String(SIGNING_RETRY_AFTER_SECONDS),
    });
  }
  if (error instanceof ObjectUnavailableError) {
    c.outcome = "object_unavailable";
    c.error = error;
    return errorResponse(503, "temporarily_unavailable", "The service cannot complete this request at the moment: try again shortly.", {
      "Retry-After": String(OBJECT_RETRY_AFTER_SECONDS),
    });
  }
  c.outcome = "server_error";
  c.error = error;
  return errorResponse(500, "server_error", GENERIC_500_DETAIL);
}

function finish(response: Response, request: Request, env: Env): Response {
  let origins: ReturnType<typeof settings>["corsOrigins"] = "*";
  try {
    origins = settings(env).corsOrigins;
  } catch {
    // A broken setting is already this response's 500; CORS falls back to "*".
  }
  logRequest(request, response);
  return withCors(response, request, origins);
}
