import { ObjectUnavailableError } from "../lib/errors.ts";

/**
 * A Durable Object's stub whose every call that fails (the object threw, was reset, or could not
 * be reached) fails as ObjectUnavailableError, which the router answers 503: an object answers a
 * refusal as data (store/registry-protocol.ts), so anything thrown is the service's trouble.
 */
export function unavailableAs<T extends object>(stub: T, what: string): T {
  return new Proxy(stub, {
    get(target, prop) {
      const value = Reflect.get(target, prop, target) as unknown;
      if (typeof value !== "function" || prop === "then") return value;
      return (...args: unknown[]) => {
        const failed = (cause: unknown) => {
          throw new ObjectUnavailableError(`${what} did not answer ${String(prop)}`, { cause });
        };
        try {
          // An RPC method is a proxy too: its own .apply would be a remote call.
          return Promise.resolve(Reflect.apply(value as (...a: unknown[]) => unknown, target, args)).catch(failed);
        } catch (cause) {
          return failed(cause);
        }
      };
    },
  });
}
