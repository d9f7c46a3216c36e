import { describe, expect, it, vi } from "vitest";
import { call, createAdmin, createApplicationKey, error, post, randomIp, tokenFor } from "../support/helpers.ts";

/**
 * GET /v2/application-keys/:id/usage: a key's use of its token_quota in the current UTC hour
 * and day, as its ledger counts it across all locations, for key managers (application_keys).
 */
const KEYS = "/v2/application-keys";
const tokenForStatus = (k: { client_id: string; client_secret: string }) =>
  post("/oauth/access_token", { grant_type: "client_credentials", client_id: k.client_id, client_secret: k.client_secret });
const get = (path: string, bearer?: string) => call(path, bearer === undefined ? {} : { headers: { Authorization: `Bearer ${bearer}` } });

describe("GET /v2/application-keys/:id/usage", () => {
  it("counts the tokens issued against each window's limit, with when the window started and starts over", async () => {
    vi.useFakeTimers({ toFake: ["Date"] });
    vi.setSystemTime(Date.UTC(2026, 11, 3, 14, 20, 5));
    try {
      const admin = await tokenFor(await createAdmin());
      // A quota of 5 an hour is leased one token at a time (a hundredth of what is left, at least one): the count is exact.
      const key = await createApplicationKey("metered", { token_quota: { per_hour: 5, per_day: 50 } });
      for (let i = 0; i < 3; i++) await tokenFor(key);
      const res = await get(`${KEYS}/${key.id}/usage`, admin);
      expect([res.status, res.headers.get("Cache-Control")]).toStrictEqual([200, "no-store"]);
      expect(await res.json()).toStrictEqual({
        data: {
          id: key.id,
          type: "token_usage",
          client_id: key.client_id,
          token_quota: { per_hour: 5, per_day: 50 },
          hour: { used: 3, limit: 5, starts_at: "2026-12-03T14:00:00.000Z", resets_at: "2026-12-03T15:00:00.000Z" },
          day: { used: 3, limit: 50, starts_at: "2026-12-03T00:00:00.000Z", resets_at: "2026-12-04T00:00:00.000Z" },
        },
      });
      // Reading it reserves nothing: the rest of the hour's quota is still there, then spent.
      for (let i = 0; i < 2; i++) await tokenFor(key);
      const spent = await call("/oauth/access_token", {
        method: "POST",
        headers: { "Content-Type": "application/x-www-form-urlencoded" },
        body: new URLSearchParams({
          grant_type: "client_credentials",
          client_id: key.client_id,
          client_secret: key.client_secret,
        }).toString(),
      });
      expect(spent.status).toBe(429);
      const after = (await (await get(`${KEYS}/${key.id}/usage`, admin)).json()) as {
        data: { hour: { used: number }; day: { used: number } };
      };
      expect([after.data.hour.used, after.data.day.used]).toStrictEqual([5, 5]);
      // The next hour starts over; the day goes on counting.
      vi.setSystemTime(Date.UTC(2026, 11, 3, 15, 0, 1));
      const next = (await (await get(`${KEYS}/${key.id}/usage`, admin)).json()) as { data: Record<string, unknown> };
      expect([next.data.hour, next.data.day]).toStrictEqual([
        { used: 0, limit: 5, starts_at: "2026-12-03T15:00:00.000Z", resets_at: "2026-12-03T16:00:00.000Z" },
        { used: 5, limit: 50, starts_at: "2026-12-03T00:00:00.000Z", resets_at: "2026-12-04T00:00:00.000Z" },
      ]);
    } finally {
      vi.useRealTimers();
    }
  });

  it("is spent only by requests that authenticated as the key: implicit requests with its public client_id leave it whole", async () => {
    const admin = await tokenFor(await createAdmin());
    const key = await createApplicationKey("storefront and backend", { token_quota: { per_hour: 2 } });
    for (let i = 0; i < 5; i++) {
      const res = await post(
        "/oauth/access_token",
        { grant_type: "implicit", client_id: key.client_id },
        { "CF-Connecting-IP": randomIp() },
      );
      expect(res.status).toBe(200);
    }
    const usage = (await (await get(`${KEYS}/${key.id}/usage`, admin)).json()) as { data: { hour: { used: number } } };
    expect(usage.data.hour.used).toBe(0);
    // its backend's correct secret is never refused for what others sent
    expect((await tokenForStatus(key)).status).toBe(200);
    expect((await tokenForStatus(key)).status).toBe(200);
    expect((await tokenForStatus(key)).status).toBe(429);
  });

  it("an implicit_quota of its own limits implicit requests, counted apart: the backend's token_quota stays whole", async () => {
    const admin = await tokenFor(await createAdmin());
    const key = await createApplicationKey("metered storefront", { token_quota: { per_hour: 5 } });
    const put = await call(`${KEYS}/${key.id}`, {
      method: "PUT",
      headers: { Authorization: `Bearer ${admin}`, "Content-Type": "application/json" },
      body: JSON.stringify({ data: { type: "application_key", implicit_quota: { per_hour: 2 } } }),
    });
    expect(((await put.json()) as { data: Record<string, unknown> }).data).toMatchObject({
      token_quota: { per_hour: 5 },
      implicit_quota: { per_hour: 2 },
    });
    const implicit = async () =>
      (await post("/oauth/access_token", { grant_type: "implicit", client_id: key.client_id }, { "CF-Connecting-IP": randomIp() })).status;
    expect([await implicit(), await implicit()]).toStrictEqual([200, 200]);
    const spent = await post(
      "/oauth/access_token",
      { grant_type: "implicit", client_id: key.client_id },
      { "CF-Connecting-IP": randomIp() },
    );
    expect([spent.status, await spent.json()]).toStrictEqual([
      429,
      error(429, "Too Many Requests", "rate_limited", "This client has used its implicit quota; try again later."),
    ]);
    expect((await tokenForStatus(key)).status).toBe(200);
    const usage = (await (await get(`${KEYS}/${key.id}/usage`, admin)).json()) as {
      data: { hour: { used: number; limit: number }; implicit_quota: unknown; implicit: { hour: { used: number; limit: number } } };
    };
    expect([usage.data.hour.used, usage.data.hour.limit]).toStrictEqual([1, 5]);
    expect(usage.data.implicit_quota).toStrictEqual({ per_hour: 2 });
    expect([usage.data.implicit.hour.used, usage.data.implicit.hour.limit]).toStrictEqual([2, 2]);
    // 400 naming the field for a bad one
    const bad = await call(`${KEYS}/${key.id}`, {
      method: "PUT",
      headers: { Authorization: `Bearer ${admin}`, "Content-Type": "application/json" },
      body: JSON.stringify({ data: { type: "application_key", implicit_quota: { per_minute: 1 } } }),
    });
    expect([bad.status, await bad.json()]).toStrictEqual([
      400,
      error(
        400,
        "Bad Request",
        "invalid_request",
        'The field "data.implicit_quota" must be {"per_hour":n,"per_day":n} (either or both, integers from 1), or null for none.',
      ),
    ]);
  });

  it("a key with only a daily quota has only the day; a key without one is counted nowhere", async () => {
    const admin = await tokenFor(await createAdmin());
    const daily = await createApplicationKey("daily", { token_quota: { per_day: 1000 } });
    const body = (await (await get(`${KEYS}/${daily.id}/usage`, admin)).json()) as { data: Record<string, unknown> };
    expect(Object.keys(body.data).sort()).toStrictEqual(["client_id", "day", "id", "token_quota", "type"]);
    const free = await createApplicationKey("free");
    expect(await (await get(`${KEYS}/${free.id}/usage`, admin)).json()).toStrictEqual({
      data: { id: free.id, type: "token_usage", client_id: free.client_id, token_quota: null },
    });
  });

  it("needs a token for the admin API holding application_keys; an unknown id is 404", async () => {
    const key = await createApplicationKey("metered", { token_quota: { per_hour: 10 } });
    const none = await get(`${KEYS}/${key.id}/usage`);
    expect([none.status, await none.json()]).toStrictEqual([
      401,
      error(401, "Unauthorized", "invalid_token", "An access token is required."),
    ]);
    const api = await get(`${KEYS}/${key.id}/usage`, await tokenFor(key));
    expect([api.status, await api.json()]).toStrictEqual([
      403,
      error(403, "Forbidden", "insufficient_scope", "Managing application keys needs a token with the application_keys scope."),
    ]);
    const unknown = await get(`${KEYS}/01a2aaaa-0000-7000-8000-000000000000/usage`, await tokenFor(await createAdmin()));
    expect(unknown.status).toBe(404);
  });
});
