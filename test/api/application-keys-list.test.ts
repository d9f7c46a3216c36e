import { describe, expect, it } from "vitest";
import { call, createAdmin, error, tokenFor } from "../support/helpers.ts";

const KEYS = "/v2/application-keys";

// Its own test file, so its KV holds only the keys it makes (storage is per file).
describe("GET /v2/application-keys", () => {
  it("pages through every key, oldest first, never a secret or hash", async () => {
    const token = await tokenFor(await createAdmin("operator"));
    const auth = { Authorization: `Bearer ${token}` };
    const names: string[] = ["operator"];
    for (let i = 0; i < 6; i++) {
      const name = `key ${i}`;
      names.push(name);
      const res = await call(KEYS, {
        method: "POST",
        headers: { ...auth, "Content-Type": "application/json" },
        body: JSON.stringify({ data: { type: "application_key", name } }),
      });
      expect(res.status).toBe(201);
    }
    const page = async (query: string) => {
      const res = await call(`${KEYS}${query}`, { headers: auth });
      return { status: res.status, text: await res.text() };
    };

    const all = await page("");
    expect(all.status).toBe(200);
    expect(all.text).not.toMatch(/"client_secret"|secret_hash/);
    const body = JSON.parse(all.text);
    // the operator's own key first, then the 6 it made: 7 keys
    expect(body.data.map((k: { name: string }) => k.name)).toStrictEqual(names);
    expect(body.meta).toStrictEqual({ page: { limit: 25, offset: 0, current: 1, total: 1 }, results: { total: 7 } });
    expect(Object.keys(body.data[0]).sort()).toStrictEqual([
      "client_id",
      "dpop_bound_access_tokens",
      "grant_types",
      "id",
      "meta",
      "name",
      "scope",
      "token_endpoint_auth_method",
      "type",
    ]);

    const second = JSON.parse((await page("?page[limit]=3&page[offset]=3")).text);
    expect(second.data.map((k: { name: string }) => k.name)).toStrictEqual(["key 2", "key 3", "key 4"]);
    expect(second.meta).toStrictEqual({ page: { limit: 3, offset: 3, current: 2, total: 3 }, results: { total: 7 } });

    const last = JSON.parse((await page("?page%5Blimit%5D=3&page%5Boffset%5D=6")).text);
    expect(last.data.map((k: { name: string }) => k.name)).toStrictEqual(["key 5"]);

    const past = JSON.parse((await page("?page[offset]=100")).text);
    expect(past.data).toStrictEqual([]);
    expect(past.meta.results.total).toBe(7);

    const max = JSON.parse((await page("?page[limit]=100")).text);
    expect(max.data).toHaveLength(7);
  });

  for (const [query, detail] of [
    ["page[limit]=0", 'The parameter "page[limit]" must be an integer from 1 to 100.'],
    ["page[limit]=101", 'The parameter "page[limit]" must be an integer from 1 to 100.'],
    ["page[limit]=abc", 'The parameter "page[limit]" must be an integer from 1 to 100.'],
    ["page[limit]=2.5", 'The parameter "page[limit]" must be an integer from 1 to 100.'],
    ["page[limit]=1&page[limit]=2", 'The parameter "page[limit]" must be an integer from 1 to 100.'],
    ["page[offset]=-1", 'The parameter "page[offset]" must be an integer from 0 up.'],
    ["page[offset]=", 'The parameter "page[offset]" must be an integer from 0 up.'],
  ]) {
    it(`400 for ${query}`, async () => {
      const token = await tokenFor(await createAdmin("operator"));
      const res = await call(`${KEYS}?${query}`, { headers: { Authorization: `Bearer ${token}` } });
      expect(res.status).toBe(400);
      expect(await res.json()).toStrictEqual(error(400, "Bad Request", "invalid_request", detail!));
    });
  }
});
