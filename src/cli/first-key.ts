import { createHash, randomBytes } from "node:crypto";
import type { Permissions } from "../store/application-keys.ts";
import type { CreatedApplicationKey } from "./key-commands.ts";

/** How long the new secret may take to reach the deployed Worker (a secret change is a new version). */
const ACTIVATION_SECONDS = 90;

/**
 * A new deployment's first key, made by its own registry without leaving a standing credential:
 * a one-time secret is made here, its SHA-256 uploaded as BOOTSTRAP_SECRET_HASH, the key
 * created through the admin API with `Authorization: Bootstrap <secret>` (which the registry
 * honours only while it holds no key), and the secret deleted again, whatever happened. The
 * secret itself never leaves this process.
 */
export async function createFirstKey(o: {
  issuer: string;
  attributes: { name: string } & Permissions;
  wrangler: (args: string[], input?: string) => Promise<string>;
  say: (line: string) => void;
}): Promise<CreatedApplicationKey | "exists"> {
  const secret = randomBytes(32).toString("base64url");
  await o.wrangler(["secret", "put", "BOOTSTRAP_SECRET_HASH"], createHash("sha256").update(secret).digest("base64url"));
  try {
    const deadline = Date.now() + ACTIVATION_SECONDS * 1000;
    for (;;) {
      const res = await fetch(`${o.issuer}/v2/application-keys`, {
        method: "POST",
        headers: { Authorization: `Bootstrap ${secret}`, "Content-Type": "application/json" },
        body: JSON.stringify({ data: { type: "application_key", ...o.attributes } }),
      }).catch((error: unknown) => error as Error);
      if (!(res instanceof Error) && res.status === 201) {
        const { data } = (await res.json()) as { data: CreatedApplicationKey };
        return {
          id: data.id,
          client_id: data.client_id,
          client_secret: data.client_secret,
          name: data.name,
          scope: data.scope,
          grant_types: data.grant_types,
        };
      }
      if (!(res instanceof Error) && res.status === 409) return "exists";
      // 401 until the new version with the secret serves the request; a network error the same.
      if (Date.now() > deadline) {
        throw new Error(
          `${o.issuer} did not take the bootstrap secret within ${ACTIVATION_SECONDS} s (last: ${res instanceof Error ? res.message : res.status})`,
        );
      }
      await new Promise((r) => setTimeout(r, 2000));
    }
  } finally {
    await o.wrangler(["secret", "delete", "BOOTSTRAP_SECRET_HASH"]).catch((error: unknown) => {
      o.say(
        `could not delete BOOTSTRAP_SECRET_HASH (${error instanceof Error ? error.message.split("\n")[0] : error}): delete it with wrangler secret delete; it opens nothing while a key exists`,
      );
    });
  }
}
