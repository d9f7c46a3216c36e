import { afterEach, describe, expect, it, vi } from "vitest";
import { basic, call, createApplicationKey, error, FORM, ORIGIN, post, verifyWithJwks } from "../support/helpers.ts";

const TOKEN = "/oauth/access_token";

afterEach(() => vi.restoreAllMocks());

/**
 * A bearer token's response as Elastic Path's API and RFC 6749 clients both read it: the token's
 * fields in `data` and again at the top level, an hour's lifetime, `expires` the token's exp.
 */
function expectTokenBody(body: Record<string, unknown>, payload: { exp?: number }, grant: { identifier: string; scope: string }) {
  const data = { access_token: body.access_token, token_type: "Bearer", expires_in: 3600, expires: payload.exp, ...grant };
  expect(body).toStrictEqual({ data, ...data });
}

describe("client_credentials", () => {
  it("issues a signed RFC 9068 token with the secret in the body", async () => {
    const client = await createApplicationKey();
    const before = Math.floor(Date.now() / 1000);
    const res = await post(TOKEN, { grant_type: "client_credentials", client_id: client.client_id, client_secret: client.client_secret });

    expect(res.status).toBe(200);
    expect(res.headers.get("Content-Type")).toBe("application/json");
    expect(res.headers.get("Cache-Control")).toBe("no-store");
    expect(res.headers.get("Pragma")).toBe("no-cache");
    const body = (await res.json()) as Record<string, any>;
    const { payload, protectedHeader } = await verifyWithJwks(body.access_token);

    expectTokenBody(body, payload, { identifier: "client_credentials", scope: "read write" });
    expect(protectedHeader.alg).toBe("EdDSA");
    expect(protectedHeader.typ).toBe("at+jwt");
    expect(typeof protectedHeader.kid).toBe("string");
    expect(payload).toStrictEqual({
      iss: ORIGIN,
      sub: client.client_id,
      aud: ORIGIN,
      iat: payload.iat,
      exp: payload.iat + 3600,
      jti: payload.jti,
      client_id: client.client_id,
      scope: "read write",
      grant_type: "client_credentials",
      // the version of the key record it was minted from: a new key's first
      key_version: 1,
      // draft-ietf-oauth-status-list §6.2: its bit in one of this issuer's status lists
      status: {
        status_list: {
          idx: payload.status!.status_list.idx,
          uri: expect.stringMatching(/^https:\/\/auth\.example\/oauth\/status-lists\/4\d{8}$/),
        },
      },
    });
    expect(Number.isSafeInteger(payload.status!.status_list.idx) && payload.status!.status_list.idx >= 0).toBe(true);
    expect(payload.iat).toBeGreaterThanOrEqual(before);
    expect(payload.jti).toMatch(/^[A-Za-z0-9_-]{22}$/); // 128 random bits
  });

  it("accepts HTTP Basic credentials, form-url-decoded", async () => {
    const client = await createApplicationKey();
    const res = await post(TOKEN, { grant_type: "client_credentials" }, basic(client.client_id, client.client_secret));
    expect(res.status).toBe(200);
    const { payload } = await verifyWithJwks(((await res.json()) as any).access_token);
    expect(payload.client_id).toBe(client.client_id);
  });

  it("tolerates a body client_id equal to the Basic one", async () => {
    const client = await createApplicationKey();
    const res = await post(
      TOKEN,
      { grant_type: "client_credentials", client_id: client.client_id },
      basic(client.client_id, client.client_secret),
    );
    expect(res.status).toBe(200);
  });

  it("gives every token its own jti", async () => {
    const client = await createApplicationKey();
    const params = { grant_type: "client_credentials", client_id: client.client_id, client_secret: client.client_secret };
    const bodies = await Promise.all([1, 2, 3, 4, 5].map(async () => (await (await post(TOKEN, params)).json()) as any));
    const jtis = await Promise.all(bodies.map(async (b) => (await verifyWithJwks(b.access_token)).payload.jti));
    expect(new Set(jtis).size).toBe(5);
  });
});

describe("implicit", () => {
  it("issues a read-only token for a client_id alone", async () => {
    const client = await createApplicationKey();
    const res = await post(TOKEN, { grant_type: "implicit", client_id: client.client_id });
    expect(res.status).toBe(200);
    const body = (await res.json()) as Record<string, any>;
    const { payload } = await verifyWithJwks(body.access_token);
    expectTokenBody(body, payload, { identifier: "implicit", scope: "read" });
    expect(payload.scope).toBe("read");
    expect(payload.grant_type).toBe("implicit");
    expect(payload.sub).toBe(client.client_id);
  });

  it("ignores a secret sent along, even a wrong one", async () => {
    const client = await createApplicationKey();
    const res = await post(TOKEN, { grant_type: "implicit", client_id: client.client_id, client_secret: "not-the-secret" });
    expect(res.status).toBe(200);
    const { payload } = await verifyWithJwks(((await res.json()) as any).access_token);
    expect(payload.scope).toBe("read");
  });

  it("refuses an unknown client_id", async () => {
    const res = await post(TOKEN, { grant_type: "implicit", client_id: "0000000000000000000000000000000000000000" });
    expect(res.status).toBe(401);
    expect(await res.json()).toStrictEqual(error(401, "Unauthorized", "invalid_client", "Client authentication failed."));
  });
});

describe("400 Bad Request", () => {
  const cases: [string, string, string, string][] = [
    ["missing grant_type", "client_id=abc", "invalid_request", 'The parameter "grant_type" is required.'],
    ["empty grant_type", "grant_type=&client_id=abc", "invalid_request", 'The parameter "grant_type" is required.'],
    [
      "unsupported grant_type",
      "grant_type=password&client_id=abc",
      "unsupported_grant_type",
      'The grant_type must be "client_credentials" or "implicit".',
    ],
    ["missing client_id", "grant_type=implicit", "invalid_request", 'The parameter "client_id" is required.'],
    [
      "missing client_secret",
      "grant_type=client_credentials&client_id=abc",
      "invalid_request",
      'The parameter "client_secret" is required.',
    ],
    [
      "malformed percent-encoding",
      "grant_type=implicit&client_id=%ZZ",
      "invalid_request",
      "The request contains malformed percent-encoding.",
    ],
    ["truncated percent-encoding", "grant_type=implicit%", "invalid_request", "The request contains malformed percent-encoding."],
    [
      "a parameter given twice",
      "grant_type=implicit&client_id=a&client_id=a",
      "invalid_request",
      'The parameter "client_id" was given more than once.',
    ],
    ["an odd parameter given twice", "%00x=1&%00x=2", "invalid_request", "The same parameter was given more than once."],
  ];
  for (const [name, body, code, detail] of cases) {
    it(name, async () => {
      const res = await call(TOKEN, { method: "POST", headers: FORM, body });
      expect(res.status).toBe(400);
      expect(res.headers.get("Content-Type")).toBe("application/json");
      expect(res.headers.get("Cache-Control")).toBe("no-store");
      expect(await res.json()).toStrictEqual(error(400, "Bad Request", code, detail));
    });
  }

  for (const type of ["application/json", "text/plain", "multipart/form-data; boundary=x", ""]) {
    it(`another content type: ${type || "none"}`, async () => {
      const headers: Record<string, string> = type ? { "Content-Type": type } : {};
      const res = await call(TOKEN, { method: "POST", headers, body: '{"grant_type":"implicit"}' });
      expect(res.status).toBe(400);
      expect(await res.json()).toStrictEqual(
        error(400, "Bad Request", "invalid_request", "The request body must be application/x-www-form-urlencoded."),
      );
    });
  }

  it("accepts the form type with a charset", async () => {
    const client = await createApplicationKey();
    const res = await call(TOKEN, {
      method: "POST",
      headers: { "Content-Type": "Application/X-WWW-Form-Urlencoded; charset=UTF-8" },
      body: `grant_type=implicit&client_id=${client.client_id}`,
    });
    expect(res.status).toBe(200);
  });

  it("credentials by Basic and in the body at once", async () => {
    const client = await createApplicationKey();
    const res = await post(
      TOKEN,
      { grant_type: "client_credentials", client_id: client.client_id, client_secret: client.client_secret },
      basic(client.client_id, client.client_secret),
    );
    expect(res.status).toBe(400);
    expect(await res.json()).toStrictEqual(
      error(400, "Bad Request", "invalid_request", "Send client credentials either in the Authorization header or in the body, not both."),
    );
  });

  it("a Basic client_id that differs from the body's", async () => {
    const client = await createApplicationKey();
    const res = await post(TOKEN, { grant_type: "client_credentials", client_id: "other" }, basic(client.client_id, client.client_secret));
    expect(res.status).toBe(400);
  });

  for (const header of ["Basic !!!", `Basic ${btoa("no-colon")}`, `Basic ${btoa("a%ZZ:b")}`, `Basic ${btoa("\xff\xfe:x")}`]) {
    it(`a malformed Basic header: ${header}`, async () => {
      const res = await post(TOKEN, { grant_type: "client_credentials" }, { Authorization: header });
      expect(res.status).toBe(400);
      expect(await res.json()).toStrictEqual(
        error(
          400,
          "Bad Request",
          "invalid_request",
          header.includes(btoa("a%ZZ:b"))
            ? "The request contains malformed percent-encoding."
            : "The Authorization header is not valid HTTP Basic credentials.",
        ),
      );
    });
  }
});

describe("401 Unauthorized", () => {
  it("wrong secret and unknown client are indistinguishable, with the same work done", async () => {
    const client = await createApplicationKey();
    const digest = vi.spyOn(crypto.subtle, "digest");
    const compare = vi.spyOn(crypto.subtle, "timingSafeEqual");

    // One hash, and two compares (the current secret, and a rotation's previous one or a dummy: auth/secret.ts).
    const wrong = await post(TOKEN, { grant_type: "client_credentials", client_id: client.client_id, client_secret: "x".repeat(43) });
    expect([digest.mock.calls.length, compare.mock.calls.length]).toStrictEqual([1, 2]);
    digest.mockClear();
    compare.mockClear();
    const unknown = await post(TOKEN, { grant_type: "client_credentials", client_id: "f".repeat(40), client_secret: "x".repeat(43) });
    expect([digest.mock.calls.length, compare.mock.calls.length]).toStrictEqual([1, 2]);
    // The unknown client is compared against a dummy digest of the same length.
    expect((compare.mock.calls[0]![1] as Uint8Array).byteLength).toBe(32);

    expect(wrong.status).toBe(401);
    expect(unknown.status).toBe(401);
    const expected = error(401, "Unauthorized", "invalid_client", "Client authentication failed.");
    expect(await wrong.json()).toStrictEqual(expected);
    expect(await unknown.json()).toStrictEqual(expected);
    expect([...wrong.headers]).toStrictEqual([...unknown.headers]);
    expect(wrong.headers.get("WWW-Authenticate")).toBeNull();
  });

  it("a client_id that cannot be ours is refused without a KV lookup, after the same work", async () => {
    const compare = vi.spyOn(crypto.subtle, "timingSafeEqual");
    const res = await post(TOKEN, { grant_type: "client_credentials", client_id: "k".repeat(600), client_secret: "s" });
    expect(res.status).toBe(401);
    expect(compare).toHaveBeenCalledTimes(2);
  });

  it("sends WWW-Authenticate when Basic was used", async () => {
    const client = await createApplicationKey();
    const res = await post(TOKEN, { grant_type: "client_credentials" }, basic(client.client_id, "wrong"));
    expect(res.status).toBe(401);
    expect(res.headers.get("WWW-Authenticate")).toBe('Basic realm="edge-token"');
    expect(await res.json()).toStrictEqual(error(401, "Unauthorized", "invalid_client", "Client authentication failed."));
  });

  it("never echoes the secret", async () => {
    const client = await createApplicationKey();
    const res = await post(TOKEN, { grant_type: "client_credentials", client_id: client.client_id, client_secret: "secret-value-123" });
    expect(await res.text()).not.toContain("secret-value-123");
  });
});

describe("signing", () => {
  it("takes iss and aud from the request's origin when ISSUER is unset in local development", async () => {
    const client = await createApplicationKey();
    const origin = "http://localhost:9999";
    const overrides = { ISSUER: "", ALLOW_REQUEST_ORIGIN_ISSUER: "true" };
    const res = await call(
      TOKEN,
      { method: "POST", headers: FORM, body: `grant_type=implicit&client_id=${client.client_id}` },
      overrides,
      origin,
    );
    const { payload } = await verifyWithJwks(((await res.json()) as any).access_token, overrides, origin);
    expect([payload.iss, payload.aud]).toStrictEqual([origin, origin]);
  });

  it("uses AUDIENCE and TOKEN_TTL_SECONDS when set", async () => {
    const client = await createApplicationKey();
    const res = await post(
      TOKEN,
      { grant_type: "implicit", client_id: client.client_id },
      {},
      { AUDIENCE: "https://api.example", TOKEN_TTL_SECONDS: "600" },
    );
    const body = (await res.json()) as any;
    expect(body.expires_in).toBe(600);
    const claims = JSON.parse(atob(body.access_token.split(".")[1].replaceAll("-", "+").replaceAll("_", "/")));
    expect(claims.aud).toBe("https://api.example");
    expect(claims.exp - claims.iat).toBe(600);
    expect(body.expires).toBe(claims.exp);
  });
});
