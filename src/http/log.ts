import { context } from "./context.ts";
import { pathForLog } from "./path.ts";

/**
 * One JSON line per request. Only these fields are ever logged: no body, no header but the
 * request id, no token, no secret. Errors contribute their name and message only; every error
 * this service raises is worded without secrets or key material.
 */
export function logRequest(request: Request, response: Response): void {
  const c = context(request);
  const level = response.status >= 500 ? "error" : (c.level ?? "info");
  const line = {
    level,
    method: request.method,
    path: pathForLog(c.pathname),
    status: response.status,
    outcome: c.outcome ?? (response.status < 400 ? "ok" : "error"),
    client_id: c.clientId,
    duration_ms: Date.now() - c.started,
    request_id: request.headers.get("cf-ray") ?? undefined,
    client_failures: c.clientFailures,
    audit: c.audit,
    rotation: c.rotation,
    error: c.error === undefined ? undefined : describeError(c.error),
  };
  (level === "error" ? console.error : level === "warn" ? console.warn : console.log)(JSON.stringify(line));
}

function describeError(error: unknown): { name: string; message: string; cause?: unknown } {
  if (!(error instanceof Error)) return { name: "NonError", message: typeof error };
  const cause = error.cause instanceof Error ? describeError(error.cause) : undefined;
  return { name: error.name, message: error.message, ...(cause ? { cause } : {}) };
}
