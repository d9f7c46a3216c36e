import type { Env } from "../config/settings.ts";
import { unavailableAs } from "./objects.ts";

/** A client's ledger (src/objects/client-ledger.ts): a Durable Object per client_id, never one for all. */
export const ledger = (env: Env, clientId: string) => unavailableAs(env.CLIENT_LEDGER.getByName(clientId), "a client ledger");
