import { type Env, settings } from "../config/settings.ts";
import { type Kv, timed } from "./kv.ts";

/** The CLIENTS namespace, every call cut off after KV_TIMEOUT_MS. */
export const clientsKv = (env: Env): Kv => timed(env.CLIENTS, settings(env).kvTimeoutMs);

/** The REVOCATIONS namespace, every call cut off after KV_TIMEOUT_MS. */
export const revocationsKv = (env: Env): Kv => timed(env.REVOCATIONS, settings(env).kvTimeoutMs);
