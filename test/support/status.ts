import { env } from "cloudflare:workers";
import type { Env } from "../../src/config/settings.ts";
import { MAX_STATUS_LIST_BYTES } from "../../src/lib/limits.ts";
import { type Cutoffs, listOfUri } from "../../src/oauth/status.ts";
import { decodeList, statusAt } from "../../src/oauth/status-list.ts";
import { registry } from "../../src/store/registry.ts";
import { ownerOf, statusRegion } from "../../src/store/status-owners.ts";
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

/**
 * The status objects' binding with chosen methods failing, for every region or those given:
 * `throw` as an unreachable object, `hang` as one that never answers; everything else goes to
 * the real objects.
 */
export function faultyRegions(methods: string[], mode: "throw" | "hang", regions?: string[]): Env["STATUS_REGIONS"] {
  const real = env.STATUS_REGIONS;
  return {
    getByName(name: string, options?: DurableObjectNamespaceGetDurableObjectOptions) {
      const stub = real.getByName(name, options) as unknown as Record<string, (...a: unknown[]) => unknown>;
      const broken = regions === undefined || regions.includes(name);
      return new Proxy(stub, {
        get: (target, method: string) =>
          broken && methods.includes(method)
            ? () =>
                mode === "hang"
                  ? new Promise<never>(() => {})
                  : Promise.reject(new Error(`the ${name} status object is unavailable (injected)`))
            : (...args: unknown[]) => target[method]!(...args),
      });
    },
  } as unknown as Env["STATUS_REGIONS"];
}

/** Revokes a token where its status lives, as another isolate's /oauth/revoke does (this isolate is not told). */
export async function revokeAtOwner(token: string): Promise<{ revoked: boolean }> {
  const { jti, client_id, exp, iss, status } = claimsOf(token);
  const ref = status!.status_list;
  const list = listOfUri(iss, ref.uri)!;
  const owner = ownerOf(list)!;
  return owner.region === undefined
    ? registry(env).revokeToken({ jti, client_id, exp, status: { list, idx: ref.idx } })
    : statusRegion(env, owner.region).revokeToken(owner.region, { jti, client_id, exp, n: owner.n, idx: ref.idx });
}

/** The real status objects, every call noted as `<region>.<method>` in `calls`. */
export function watchedRegions(calls: string[]): Env["STATUS_REGIONS"] {
  return {
    getByName(name: string, options?: DurableObjectNamespaceGetDurableObjectOptions) {
      const stub = env.STATUS_REGIONS.getByName(name, options) as unknown as Record<string, (...a: unknown[]) => unknown>;
      return new Proxy(stub, {
        get:
          (target, method: string) =>
          (...args: unknown[]) => {
            calls.push(`${name}.${method}`);
            return target[method]!(...args);
          },
      });
    },
  } as unknown as Env["STATUS_REGIONS"];
}
