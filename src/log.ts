/**
 * Server-side log lines, as one JSON object each. Only names and messages of errors are
 * logged: no request body, header or token ever is, so no secret can reach a log.
 */
export function logFailure(request: Request, error: unknown): void {
  const url = new URL(request.url);
  console.error(
    JSON.stringify({
      level: "error",
      method: request.method,
      path: url.pathname,
      request_id: request.headers.get("cf-ray") ?? undefined,
      error: describeError(error),
    }),
  );
}

function describeError(error: unknown): { name: string; message: string; cause?: unknown } {
  if (!(error instanceof Error)) return { name: "NonError", message: typeof error };
  const cause = error.cause instanceof Error ? describeError(error.cause) : undefined;
  return { name: error.name, message: error.message, ...(cause ? { cause } : {}) };
}
