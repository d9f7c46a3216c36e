import { context } from "./http/context.ts";

/**
 * One JSON line per request. Only these fields are ever logged: no body, no header but the
 * request id, no token, no secret. Errors contribute their name and message only; every error
 * this service raises is worded without secrets or key material.
 */
export function logRequest(request: Request, response: Response): void {
  const c = context(request);
  const line = {
    level: response.status >= 500 ? "error" : "info",
    method: request.method,
    path: new URL(request.url).pathname,
    status: response.status,
    outcome: c.outcome ?? (response.status < 400 ? "ok" : "error"),
    client_id: c.clientId,
    duration_ms: Date.now() - c.started,
    request_id: request.headers.get("cf-ray") ?? undefined,
    error: c.error === undefined ? undefined : describeError(c.error),
  };
  (response.status >= 500 ? console.error : console.log)(JSON.stringify(line));
}

function describeError(error: unknown): { name: string; message: string; cause?: unknown } {
  if (!(error instanceof Error)) return { name: "NonError", message: typeof error };
  const cause = error.cause instanceof Error ? describeError(error.cause) : undefined;
  return { name: error.name, message: error.message, ...(cause ? { cause } : {}) };
}
