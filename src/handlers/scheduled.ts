import type { Env } from "../config/settings.ts";
import { registry } from "../store/registry.ts";
import { forgetSigningKeys } from "../tokens/signing-keys.ts";

/**
 * The Cron Trigger (wrangler.toml `[triggers]`): one run of the signing-key schedule in the
 * registry, which does what is due and nothing twice (docs/rotation.md). One log line says what
 * it did, or why it could not.
 *
 * `cron = "rotate"` comes only from wrangler dev's scheduled test route (`npm start`:
 * /cdn-cgi/handler/scheduled?cron=rotate): the next step at once, whatever the times say, and
 * honoured only in local development, never by a deployed Worker.
 */
export async function runSchedule(controller: ScheduledController, env: Env): Promise<void> {
  const advance = controller.cron === ADVANCE && env.ALLOW_REQUEST_ORIGIN_ISSUER === "true";
  const answer = await registry(env).runSigningKeySchedule({ advance });
  // This isolate signs with what the run made active from its next request on.
  if (answer.ok && answer.value.changes.length > 0) forgetSigningKeys(env);
  const line = answer.ok
    ? { level: "info", schedule: controller.cron, advance, changes: answer.value.changes }
    : { level: "error", schedule: controller.cron, advance, error: answer.refusal.reason ?? answer.refusal.detail };
  (answer.ok ? console.log : console.error)(JSON.stringify(line));
}

/** The cron string that asks for the next rotation step at once (local development). */
export const ADVANCE = "rotate";
