import { createExecutionContext } from "cloudflare:test";
import { env } from "cloudflare:workers";
import { gateway } from "@elasticpath/js-sdk";
import { describe, expect, it } from "vitest";
import worker from "../../src/index.ts";
import { record } from "../support/contract.ts";
import { createAdmin, createApplicationKey, ORIGIN, verifyWithJwks } from "../support/helpers.ts";

/**
 * Elastic Path's own JS SDK, unchanged, pointed at edge-token with its `host` and `protocol`
 * options. Only the transport is swapped (custom_fetch calls the Worker in this isolate) and
 * credentials are kept in memory instead of node-localstorage.
 */
function sdkFor(credentials: { client_id: string; client_secret?: string }) {
  const store = new Map<string, string>();
  return gateway({
    ...credentials,
    host: new URL(ORIGIN).host,
    protocol: "https",
    fetchMaxAttempts: 1,
    storage: {
      set: (k: string, v: string) => void store.set(k, v),
      get: (k: string) => store.get(k),
      delete: (k: string) => void store.delete(k),
    },
    custom_fetch: async (url: string, init: RequestInit) => {
      const request = new Request(url, init);
      const response = await worker.fetch(request, env, createExecutionContext());
      record(request, response);
      return response;
    },
  } as never);
}

type Key = { id: string; name: string; client_id: string; client_secret?: string };

describe("@elasticpath/js-sdk against edge-token", () => {
  it("authenticates with both grants", async () => {
    const client = await createApplicationKey("sdk");
    const cc = (await sdkFor(client).Authenticate()) as unknown as { access_token: string; expires: number; identifier: string };
    expect(cc.identifier).toBe("client_credentials");
    const { payload } = await verifyWithJwks(cc.access_token);
    expect(cc.expires).toBe(payload.exp);

    const implicit = (await sdkFor({ client_id: client.client_id }).Authenticate()) as unknown as {
      access_token: string;
      identifier: string;
    };
    expect(implicit.identifier).toBe("implicit");
    expect((await verifyWithJwks(implicit.access_token)).payload.scope).toBe("read");
  });

  it("manages application keys: Create, All, Update, Delete", async () => {
    const admin = sdkFor(await createAdmin("operator"));
    await admin.Authenticate();

    const created = (
      (await admin.ApplicationKeys.Create({ type: "application_key", name: "via sdk" } as never)) as unknown as { data: Key }
    ).data;
    expect(created.name).toBe("via sdk");
    expect(created.client_secret).toMatch(/^[A-Za-z0-9_-]{43}$/);

    const second = ((await admin.ApplicationKeys.Create({ type: "application_key", name: "second" } as never)) as unknown as { data: Key })
      .data;
    const all = (await admin.ApplicationKeys.All()) as unknown as { data: Key[]; meta: { results: { total: number } } };
    expect(all.data.map((k) => k.name)).toEqual(expect.arrayContaining(["via sdk", "second"]));
    expect(all.data.every((k) => k.client_secret === undefined)).toBe(true);

    const paged = (await admin.ApplicationKeys.Limit(1).Offset(1).All()) as unknown as {
      data: Key[];
      meta: { page: { limit: number; offset: number } };
    };
    expect(paged.data).toHaveLength(1);
    expect(paged.meta.page).toMatchObject({ limit: 1, offset: 1 });

    const renamed = (
      (await admin.ApplicationKeys.Update(created.id, { type: "application_key", name: "renamed" } as never)) as unknown as { data: Key }
    ).data;
    expect(renamed.name).toBe("renamed");

    // The new key works with the SDK as well, until it is deleted.
    const user = { client_id: created.client_id, client_secret: created.client_secret! };
    await expect(sdkFor(user).Authenticate()).resolves.toBeTruthy();
    await admin.ApplicationKeys.Delete(created.id);
    await expect(sdkFor(user).Authenticate()).rejects.toMatchObject({
      errors: [{ status: "401", title: "Unauthorized", code: "invalid_client" }],
    });
    await admin.ApplicationKeys.Delete(second.id);
  });
});
