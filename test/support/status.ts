import { env } from "cloudflare:workers";
import type { Env } from "../../src/config/settings.ts";
import { MAX_STATUS_LIST_BYTES } from "../../src/lib/limits.ts";
import { type Cutoffs, listOfUri } from "../../src/oauth/status.ts";
import { decodeList, statusAt } from "../../src/oauth/status-list.ts";
import { claimsOf } from "./helpers.ts";
import { jsonIn } from "./kv-values.ts";

/**
 * A token's status as KV holds it: what every location reads once KV has propagated.
 */

/** The token's value in its status list as KV holds it (1: revoked); undefined when KV has no such list. */
export async function bitInKv(token: string, kv: KVNamespace = env.REVOCATIONS): Promise<number | undefined> {
  const { iss, status } = claimsOf(token);
  const ref = status!.status_list;
  const doc = await jsonIn(kv, `status-list:${listOfUri(iss, ref.uri)}`);
  return doc === null ? undefined : statusAt(await decodeList(doc, MAX_STATUS_LIST_BYTES), ref.idx);
}

export async function cutoffsInKv(kv: KVNamespace = env.REVOCATIONS): Promise<Cutoffs | null> {
  return jsonIn<Cutoffs>(kv, "cutoffs");
}

/**
 * The registry binding with chosen methods failing, as an unreachable registry would: every
 * other call goes to the real object.
 */
export function faultyRegistry(methods: string[]): Env["REGISTRY"] {
  const real = env.REGISTRY;
  return {
    getByName(name: string) {
      const stub = real.getByName(name) as unknown as Record<string, (...a: unknown[]) => unknown>;
      return new Proxy(stub, {
        get: (target, method: string) =>
          methods.includes(method)
            ? () => Promise.reject(new Error("the registry is unavailable (injected)"))
            : (...args: unknown[]) => target[method]!(...args),
      });
    },
  } as unknown as Env["REGISTRY"];
}
