import type { Env } from "../config/settings.ts";

/** A client's ledger (src/objects/client-ledger.ts): a Durable Object per client_id, never one for all. */
export const ledger = (env: Env, clientId: string) => env.CLIENT_LEDGER.getByName(clientId);
