import { adminReaderOf } from "../auth/admin-caller.ts";
import type { Env } from "../config/settings.ts";
import { pageOf } from "../http/page.ts";
import { json, NO_STORE } from "../http/response.ts";
import { badRequest } from "../lib/errors.ts";
import { UUID_PATTERN } from "../store/kv-keys.ts";
import { registry } from "../store/registry.ts";
import { pageMeta } from "./application-keys.ts";

/**
 * GET /v2/application-keys/audit[?filter[key_id]=ID]: the registry's audit trail of key
 * changes, oldest first, in the JSON:API shape of the key listing. For key managers.
 */
export async function listAuditEntries(request: Request, env: Env): Promise<Response> {
  await adminReaderOf(request, env);
  const query = new URL(request.url).searchParams;
  const { limit, offset } = pageOf(query);
  const filters = query.getAll("filter[key_id]");
  if (filters.length > 1 || (filters.length === 1 && !UUID_PATTERN.test(filters[0]!))) {
    throw badRequest('The parameter "filter[key_id]" must be one application key id.');
  }
  const { entries, total } = await registry(env).auditTrail(filters[0], limit, offset);
  const data = entries.map(({ seq, ...e }) => ({ id: String(seq), type: "audit_entry", ...e }));
  return json({ data, meta: pageMeta(limit, offset, total) }, 200, NO_STORE);
}
