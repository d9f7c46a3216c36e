/**
 * What a request's log line needs to know beyond the request and response: who the caller
 * turned out to be and how the request ended. Set by handlers, read once by the router.
 */
export interface RequestContext {
  started: number;
  /** The request URL's path for the log line: a slice of the URL string (the router parses the URL itself). */
  pathname: string;
  clientId?: string;
  outcome?: string;
  error?: unknown;
  /** Raised to "warn" by what an operator should see (an attack on a client). */
  level?: "warn";
  /** Failed authentications for this request's client_id in the current minute (this isolate). */
  clientFailures?: number;
  /** A key-management change: always on the request's log line. */
  audit?: AuditEntry;
  /** A signing-key rotation: always on the request's log line too. */
  rotation?: { actor: string; emergency: boolean; changes: { action: string; kid: string }[] };
}

export interface AuditEntry {
  /** The acting key's client_id, or "cli". */
  actor: string;
  action: "create" | "rename" | "update" | "delete" | "rotate_secret";
  key_id: string;
  old_scope: string | null;
  new_scope: string | null;
  /** A secret rotation: until when the secret it replaced authenticates; never a secret or a digest. */
  previous_secret_expires_at?: string;
}

const contexts = new WeakMap<Request, RequestContext>();

export function context(request: Request): RequestContext {
  let c = contexts.get(request);
  if (!c) {
    const url = request.url;
    // The path without parsing the whole URL: after "scheme://host", up to "?" or "#".
    const start = url.indexOf("/", url.indexOf("//") + 2);
    const query = url.indexOf("?");
    const fragment = url.indexOf("#");
    const end = query < 0 ? fragment : fragment < 0 ? query : Math.min(query, fragment);
    c = { started: Date.now(), pathname: start < 0 ? "/" : url.slice(start, end < 0 ? undefined : end) };
    contexts.set(request, c);
  }
  return c;
}

export function noteClient(request: Request, clientId: string): void {
  context(request).clientId = clientId;
}

/** The `:name` segment of the route that matched this request: the router sets `params`. */
export const routeParam = (request: Request, name: string): string =>
  (request as Request & { params?: Record<string, string> }).params?.[name] ?? "";
