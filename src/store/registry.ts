import type { Env } from "../config/settings.ts";
import { unavailableAs } from "./objects.ts";
import { REGISTRY_NAME } from "./registry-protocol.ts";

/** The deployment's registry, the one writer of application keys (src/objects/registry.ts). */
export const registry = (env: Env) => unavailableAs(env.REGISTRY.getByName(REGISTRY_NAME), "the registry");
