import { adminReaderOf } from "../auth/admin-caller.ts";
import { ledgerName } from "../auth/quota.ts";
import type { Env } from "../config/settings.ts";
import { routeParam } from "../http/context.ts";
import { json, NO_STORE } from "../http/response.ts";
import type { TokenQuota } from "../store/application-keys.ts";
import { ledger } from "../store/ledger.ts";
import { registry } from "../store/registry.ts";
import { answered } from "./application-keys.ts";

const HOUR = 3_600_000;
const DAY = 86_400_000;

/**
 * GET /v2/application-keys/:id/usage: how much of its `token_quota` (and of its `implicit_quota`,
 * counted apart) a key has used in the current UTC hour and day, as its ledger counts it across all locations (docs/api.md). A key
 * without a quota is counted nowhere: `token_quota` null, no windows. Only the ledger is read;
 * nothing is reserved or changed.
 */
export async function getApplicationKeyUsage(request: Request, env: Env): Promise<Response> {
  await adminReaderOf(request, env);
  const id = routeParam(request, "id");
  const record = answered(await registry(env).get(id));
  const [token, implicit] = await Promise.all([
    windows(env, record.client_id, "token", record.token_quota),
    windows(env, record.client_id, "implicit", record.implicit_quota),
  ]);
  return json(
    {
      data: {
        id,
        type: "token_usage",
        client_id: record.client_id,
        token_quota: record.token_quota ?? null,
        ...token,
        ...(record.implicit_quota ? { implicit_quota: record.implicit_quota, implicit } : {}),
      },
    },
    200,
    NO_STORE,
  );
}

/** A quota's current hour and day, as its ledger counts them; nothing for a quota not set. */
async function windows(env: Env, clientId: string, kind: "token" | "implicit", quota: TokenQuota | undefined) {
  if (!quota) return {};
  const { hour, day } = await ledger(env, ledgerName(clientId, kind)).usage();
  const window = (w: { start: number; used: number }, length: number, limit: number) => ({
    used: w.used,
    limit,
    starts_at: new Date(w.start).toISOString(),
    resets_at: new Date(w.start + length).toISOString(),
  });
  return {
    ...(quota.per_hour === undefined ? {} : { hour: window(hour, HOUR, quota.per_hour) }),
    ...(quota.per_day === undefined ? {} : { day: window(day, DAY, quota.per_day) }),
  };
}
