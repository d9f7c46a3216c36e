import { createExecutionContext } from "cloudflare:test";
import { env } from "cloudflare:workers";
import fc from "fast-check";
import { describe, expect, it } from "vitest";
import type { Env } from "../../src/config/settings.ts";
import { parseBasic } from "../../src/http/basic.ts";
import { parseForm } from "../../src/http/form.ts";
import worker from "../../src/index.ts";
import { HttpError } from "../../src/lib/errors.ts";
import { record } from "../support/contract.ts";
import { createAdmin, createApplicationKey, ORIGIN, randomIp, tokenFor } from "../support/helpers.ts";

/**
 * Property-based tests over hostile input. Whatever arrives: never a 5xx, every error in the
 * reference's shape, no exception escaping a handler, nothing written onto Object.prototype.
 * Run counts are fixed so a run is reproducible from the seed fast-check prints on failure.
 */
const RUNS = { parsers: 3000, endpoints: 1500, json: 800, rotation: 300 };

const PROTO_KEYS = Object.getOwnPropertyNames(Object.prototype).sort();
function assertNoPollution() {
  expect(Object.getOwnPropertyNames(Object.prototype).sort()).toStrictEqual(PROTO_KEYS);
  expect(({} as Record<string, unknown>).polluted).toBeUndefined();
  expect(({} as Record<string, unknown>).x).toBeUndefined();
}

/** Only a 400 may come out of a parser; anything else escaping is a bug. */
function onlyBadRequest(fn: () => unknown) {
  try {
    fn();
  } catch (e) {
    expect(e).toBeInstanceOf(HttpError);
    expect((e as HttpError).status).toBe(400);
  }
}

const hostileText = fc.oneof(
  fc.string({ unit: "binary", maxLength: 300 }),
  fc.string({ unit: "grapheme", maxLength: 200 }),
  fc
    .array(
      fc.constantFrom(
        "%",
        "%0",
        "%ZZ",
        "%00",
        "%C3%28",
        "%E0%80",
        "+",
        "&",
        "=",
        "&&",
        "==",
        "__proto__",
        "constructor",
        "prototype",
        "[x]",
        "\0",
        "é",
        "\uD800",
      ),
      { maxLength: 60 },
    )
    .map((a) => a.join("")),
);

async function fetchWorker(request: Request, overrides: Partial<Env> = {}): Promise<Response> {
  if (!request.headers.has("CF-Connecting-IP")) request.headers.set("CF-Connecting-IP", randomIp());
  const response = await worker.fetch(request, { ...env, ...overrides } as Env, createExecutionContext());
  record(request, response);
  return response;
}

async function expectWellFormed(response: Response, method = "GET") {
  expect(response.status).toBeLessThan(500);
  // An answer to HEAD is its GET's without the content (RFC 9110 §9.3.2).
  if (method === "HEAD") {
    expect(await response.text()).toBe("");
  } else if (response.status >= 400) {
    expect(response.headers.get("Content-Type")).toBe("application/json");
    expect(response.headers.get("Cache-Control")).toBe("no-store");
    const body = (await response.json()) as { errors: Record<string, unknown>[] };
    expect(body.errors).toHaveLength(1);
    const [e] = body.errors;
    expect(Object.keys(e!).sort()).toStrictEqual(["code", "detail", "status", "title"]);
    expect(e!.status).toBe(String(response.status));
    expect(typeof e!.detail).toBe("string");
  } else {
    await response.arrayBuffer();
  }
}

/** A property's check: `body`, POSTed as JSON to the admin API's `path` as `token`, is answered with one of `statuses`, well formed. */
const answersJsonPost = (path: string, token: string, statuses: number[]) => async (body: string) => {
  const res = await fetchWorker(
    new Request(`${ORIGIN}${path}`, {
      method: "POST",
      headers: { "Content-Type": "application/json", Authorization: `Bearer ${token}` },
      body,
    }),
  );
  expect(statuses).toContain(res.status);
  await expectWellFormed(res);
};

describe("parsers", () => {
  it("the form parser returns a Map or a 400, for any input", () => {
    fc.assert(
      fc.property(hostileText, (body) => {
        onlyBadRequest(() => {
          const form = parseForm(body);
          expect(form).toBeInstanceOf(Map);
        });
      }),
      { numRuns: RUNS.parsers },
    );
    assertNoPollution();
  });

  it("keeps thousands of parameters and prototype keys as plain data", () => {
    const many = Array.from({ length: 2500 }, (_, i) => `p${i}=`).join("&");
    expect(parseForm(many).size).toBe(2500);
    const form = parseForm("__proto__=polluted&constructor=x&prototype=y&toString=z&hasOwnProperty=1");
    expect(form.get("__proto__")).toBe("polluted");
    expect(form.get("toString")).toBe("z");
    assertNoPollution();
  });

  it("the Basic parser returns credentials, undefined or a 400, for any header", () => {
    fc.assert(
      fc.property(
        fc.oneof(
          hostileText,
          hostileText.map((s) => `Basic ${s}`),
          fc.string({ unit: "binary", maxLength: 100 }).map((s) => `Basic ${btoa(unescape(encodeURIComponent(s)))}`),
          fc.uint8Array({ maxLength: 80 }).map((b) => `Basic ${btoa(String.fromCharCode(...b))}`),
        ),
        (header) => onlyBadRequest(() => void parseBasic(header)),
      ),
      { numRuns: RUNS.parsers },
    );
    assertNoPollution();
  });
});

describe("endpoints", () => {
  const paths = [
    "/oauth/access_token",
    "/oauth/revoke",
    "/oauth/introspect",
    "/v2/application-keys",
    "/v2/application-keys/x",
    "/v2/application-keys/x/secret",
    "/.well-known/jwks.json",
    "/.well-known/oauth-authorization-server",
  ];
  const methods = ["GET", "HEAD", "POST", "PUT", "PATCH", "DELETE", "OPTIONS", "PROPFIND", "TRACE", "BREW"];
  const contentTypes = [
    "application/x-www-form-urlencoded",
    "application/json",
    "text/plain",
    "multipart/form-data; boundary=x",
    "application/x-www-form-urlencoded; charset=latin1",
    "",
    "*/*",
    "application/x-www-form-urlencoded\t;;;",
  ];
  const header = fc.string({ unit: fc.integer({ min: 0x20, max: 0x7e }).map((c) => String.fromCharCode(c)), maxLength: 120 });

  it("answer any method, path, header and body without a 5xx", async () => {
    await fc.assert(
      fc.asyncProperty(
        fc.oneof(
          fc.constantFrom(...paths),
          fc.string({ maxLength: 60 }).map((p) => `/${p}`),
          fc.constantFrom(...paths).map((p) => `${p}/../${p}?a=%ZZ&page[limit]=-1`),
        ),
        fc.constantFrom(...methods),
        fc.constantFrom(...contentTypes),
        fc.option(
          fc.oneof(
            header,
            header.map((h) => `Basic ${h}`),
            header.map((h) => `Bearer ${h}`),
          ),
          { nil: undefined },
        ),
        fc.oneof(hostileText, fc.uint8Array({ maxLength: 2000 }), fc.json({ maxDepth: 4 })),
        async (path, method, type, authorization, body) => {
          let request: Request;
          try {
            const headers = new Headers(type ? { "Content-Type": type } : {});
            if (authorization !== undefined) headers.set("Authorization", authorization);
            request = new Request(ORIGIN + path, { method, headers, body: method === "GET" || method === "HEAD" ? undefined : body });
          } catch {
            return; // not a request a client could send
          }
          await expectWellFormed(await fetchWorker(request), method);
        },
      ),
      { numRuns: RUNS.endpoints },
    );
    assertNoPollution();
  });

  it("the token endpoint survives huge, NUL-filled and many-parameter bodies", async () => {
    const bodies = [
      `grant_type=implicit&client_id=${"a".repeat(20_000)}`,
      "grant_type=implicit&client_id=\0\0\0&client_secret=%00",
      `${Array.from({ length: 2500 }, (_, i) => `p${i}=`).join("&")}&grant_type=implicit&client_id=x`,
      "__proto__[polluted]=1&constructor[prototype][polluted]=1&grant_type=implicit&client_id=x",
      `grant_type=client_credentials&client_id=${"%F0%9F%98%80".repeat(100)}&client_secret=x`,
    ];
    for (const body of bodies) {
      const res = await fetchWorker(
        new Request(`${ORIGIN}/oauth/access_token`, {
          method: "POST",
          headers: { "Content-Type": "application/x-www-form-urlencoded" },
          body,
        }),
      );
      expect([400, 401, 413]).toContain(res.status);
      await expectWellFormed(res);
    }
    assertNoPollution();
  });

  it("the admin API's JSON parser takes any JSON value or byte string: 201 or a 400", async () => {
    const token = await tokenFor(await createAdmin("fuzz operator"));
    await fc.assert(
      fc.asyncProperty(
        fc.oneof(
          fc.jsonValue({ maxDepth: 5 }).map((v) => JSON.stringify(v)),
          fc
            .record({
              data: fc.record(
                {
                  type: fc.oneof(fc.constant("application_key"), fc.jsonValue()),
                  name: fc.oneof(fc.string({ maxLength: 300 }), fc.jsonValue()),
                  scope: fc.oneof(
                    fc.constantFrom("read", "read write", "write  read", "application_keys", "admin", ""),
                    fc.string(),
                    fc.jsonValue(),
                  ),
                  grant_types: fc.oneof(fc.subarray(["client_credentials", "implicit", "password"]), fc.jsonValue()),
                },
                { requiredKeys: [] },
              ),
            })
            .map((v) => JSON.stringify(v)),
          fc.constantFrom(
            '{"__proto__":{"polluted":1},"data":{"type":"application_key","name":"x"}}',
            '{"data":{"type":"application_key","name":"x","constructor":{"prototype":{"polluted":1}}}}',
          ),
          hostileText,
        ),
        answersJsonPost(`/v2/application-keys`, token, [201, 400]),
      ),
      { numRuns: RUNS.json },
    );
    assertNoPollution();
  });
  it("a secret rotation's body takes any JSON value or byte string: a 200 or a 400, never a 5xx", async () => {
    const token = await tokenFor(await createAdmin("fuzz rotator"));
    const key = await createApplicationKey("fuzz rotated");
    await fc.assert(
      fc.asyncProperty(
        fc.oneof(
          fc.jsonValue({ maxDepth: 5 }).map((v) => JSON.stringify(v)),
          fc
            .record(
              {
                data: fc.record(
                  {
                    type: fc.oneof(fc.constant("secret_rotation"), fc.jsonValue()),
                    attributes: fc.oneof(
                      fc.record(
                        { keep_old_seconds: fc.oneof(fc.integer({ min: -10, max: 700_000 }), fc.double(), fc.jsonValue()) },
                        { requiredKeys: [] },
                      ),
                      fc.dictionary(fc.string({ maxLength: 20 }), fc.jsonValue(), { maxKeys: 3 }),
                      fc.jsonValue(),
                    ),
                  },
                  { requiredKeys: [] },
                ),
              },
              { requiredKeys: [] },
            )
            .map((v) => JSON.stringify(v)),
          fc.constantFrom(
            '{"__proto__":{"polluted":1},"data":{"type":"secret_rotation"}}',
            '{"data":{"type":"secret_rotation","attributes":{"constructor":{"prototype":{"polluted":1}}}}}',
            '{"data":{"type":"secret_rotation","attributes":{"keep_old_seconds":1e999}}}',
          ),
          hostileText,
        ),
        answersJsonPost(`/v2/application-keys/${key.id}/secret`, token, [200, 400]),
      ),
      { numRuns: RUNS.rotation },
    );
    assertNoPollution();
  });
});
