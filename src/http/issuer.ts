import type { Settings } from "../env.ts";

/** ISSUER when set; otherwise the origin this request came to (local development). */
export function issuerFor(request: Request, s: Settings): string {
  return s.issuer ?? new URL(request.url).origin;
}
