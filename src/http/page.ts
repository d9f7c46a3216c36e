import { badRequest } from "../lib/errors.ts";
import { DEFAULT_PAGE_LIMIT, MAX_PAGE_LIMIT } from "../lib/limits.ts";

/** `page[limit]` (1 to 100, default 25) and `page[offset]` (0 up), as Elastic Path's API takes them. */
export function pageOf(query: URLSearchParams): { limit: number; offset: number } {
  return {
    limit: pageParam(query, "page[limit]", DEFAULT_PAGE_LIMIT, 1, MAX_PAGE_LIMIT),
    offset: pageParam(query, "page[offset]", 0, 0, Number.MAX_SAFE_INTEGER),
  };
}

function pageParam(query: URLSearchParams, name: string, fallback: number, min: number, max: number): number {
  const values = query.getAll(name);
  if (values.length === 0) return fallback;
  const n = values.length === 1 && /^\d{1,16}$/.test(values[0]!) ? Number(values[0]) : NaN;
  if (!(n >= min && n <= max)) {
    throw badRequest(`The parameter "${name}" must be an integer from ${min}${max === Number.MAX_SAFE_INTEGER ? " up" : ` to ${max}`}.`);
  }
  return n;
}
