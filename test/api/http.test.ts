import { env } from "cloudflare:workers";
import { afterEach, describe, expect, it, vi } from "vitest";
import { basic, call, createApplicationKey, error, FORM, faulty, post, tokenFor } from "../support/helpers.ts";

const TOKEN = "/oauth/access_token";
afterEach(() => vi.restoreAllMocks());

describe("routing", () => {
  it("404 for an unknown path", async () => {
    const res = await call("/nope", { method: "GET" });
    expect(res.status).toBe(404);
    expect(res.headers.get("Cache-Control")).toBe("no-store");
    expect(await res.json()).toStrictEqual(error(404, "Not Found", "not_found", "There is nothing at this path."));
  });

  // How long routing takes is checked on Node (test/cli/path.test.ts): workerd's clock stands still while code runs.
  it("routes a path of 200,000 slashes, and logs at most 256 characters of it", async () => {
    const lines: string[] = [];
    vi.spyOn(console, "log").mockImplementation((line: unknown) => void lines.push(String(line)));
    const path = `${"/".repeat(200_000)}x/`;
    const res = await call(path);
    expect(res.status).toBe(404);
    const logged = JSON.parse(lines[0]!).path as string;
    expect([logged.length, logged.endsWith("…")]).toStrictEqual([256, true]);
    expect((await call("/.well-known/jwks.json////")).status).toBe(200);
  });

  for (const [path, method, allow] of [
    [TOKEN, "GET", "POST, OPTIONS"],
    [TOKEN, "PUT", "POST, OPTIONS"],
    [TOKEN, "DELETE", "POST, OPTIONS"],
    ["/.well-known/jwks.json", "POST", "GET, HEAD, OPTIONS"],
    ["/.well-known/oauth-authorization-server", "DELETE", "GET, HEAD, OPTIONS"],
  ] as const) {
    it(`405 with Allow for ${method} ${path}`, async () => {
      const res = await call(path, { method });
      expect(res.status).toBe(405);
      expect(res.headers.get("Allow")).toBe(allow);
      expect(await res.json()).toStrictEqual(
        error(405, "Method Not Allowed", "method_not_allowed", "This method is not allowed on this path."),
      );
    });
  }
});

describe("413 Payload Too Large", () => {
  const expected = error(413, "Payload Too Large", "request_too_large", "The request body must not exceed 16384 bytes.");

  it("refuses by Content-Length before reading", async () => {
    const body = `grant_type=implicit&pad=${"a".repeat(16 * 1024)}`;
    const res = await call(TOKEN, { method: "POST", headers: { ...FORM, "Content-Length": String(body.length) }, body });
    expect(res.status).toBe(413);
    expect(await res.json()).toStrictEqual(expected);
  });

  it("refuses while reading a body sent without Content-Length", async () => {
    const chunk = new TextEncoder().encode("a".repeat(4096));
    let sent = 0;
    const stream = new ReadableStream<Uint8Array>({
      pull(controller) {
        if (sent++ < 100) controller.enqueue(chunk);
        else controller.close();
      },
    });
    const res = await call(TOKEN, { method: "POST", headers: FORM, body: stream });
    expect(res.status).toBe(413);
    expect(await res.json()).toStrictEqual(expected);
    expect(sent).toBeLessThan(100); // stopped reading early
  });

  it("accepts a body of exactly 16 KiB", async () => {
    const client = await createApplicationKey();
    const head = `grant_type=implicit&client_id=${client.client_id}&pad=`;
    const body = head + "a".repeat(16 * 1024 - head.length);
    const res = await call(TOKEN, { method: "POST", headers: FORM, body });
    expect(res.status).toBe(200);
  });
});

describe("500 Internal Server Error", () => {
  const expected = error(500, "Internal Server Error", "server_error", "there was a problem processing your request");

  it("when KV throws: the reference's body, the cause logged without secrets", async () => {
    const client = await createApplicationKey();
    const logged = vi.spyOn(console, "error").mockImplementation(() => {});
    const failingKv = faulty(env.CLIENTS, ["get"], new Error("KV GET failed: 503 Service Unavailable"));
    const res = await post(
      TOKEN,
      { grant_type: "client_credentials", client_id: client.client_id, client_secret: client.client_secret },
      {},
      { CLIENTS: failingKv },
    );
    expect(res.status).toBe(500);
    expect(res.headers.get("Cache-Control")).toBe("no-store");
    expect(await res.json()).toStrictEqual(expected);
    expect(logged).toHaveBeenCalledTimes(1);
    const line = String(logged.mock.calls[0]![0]);
    expect(JSON.parse(line)).toMatchObject({
      level: "error",
      method: "POST",
      path: TOKEN,
      error: { name: "Error", message: "KV GET failed: 503 Service Unavailable" },
    });
    expect(line).not.toContain(client.client_secret);
  });
});

describe("503 Service Unavailable: a KEK that cannot open the signing keys", () => {
  const unavailable = error(503, "Service Unavailable", "temporarily_unavailable", "The service cannot sign tokens at the moment.");
  const otherKek = Buffer.from(crypto.getRandomValues(new Uint8Array(32))).toString("base64url");

  for (const [name, kek, says] of [
    ["another KEK than the one that sealed them", otherKek, "SIGNING_KEY_KEK does not match"],
    ["no KEK", "", "SIGNING_KEY_KEK is not set"],
    ["a KEK that is not 32 bytes", "c2hvcnQ", "SIGNING_KEY_KEK must be 32 random bytes"],
  ] as const) {
    it(`with ${name}: every signature refused quickly and in the documented shape, everything else served`, async () => {
      const client = await createApplicationKey();
      const inspector = await createApplicationKey("inspector");
      const issued = await tokenFor(client);
      const logged = vi.spyOn(console, "error").mockImplementation(() => {});
      const overrides = { SIGNING_KEY_KEK: kek };
      for (let i = 0; i < 2; i++) {
        const res = await post(TOKEN, { grant_type: "implicit", client_id: client.client_id }, {}, overrides);
        expect(res.status).toBe(503);
        expect(res.headers.get("Retry-After")).toBe("60");
        expect(res.headers.get("Cache-Control")).toBe("no-store");
        expect(await res.json()).toStrictEqual(unavailable);
      }
      // An issuer of its own: a copy another suite's request had signed in this isolate within the
      // second (served, rightly, whatever the KEK) would hide what this one does.
      expect((await call("/oauth/cutoffs", {}, { ...overrides, ISSUER: "https://kek.example" })).status).toBe(503);
      // Nothing that needs no private key is touched: the JWKS, and every check of a token.
      expect((await call("/.well-known/jwks.json", {}, overrides)).status).toBe(200);
      const introspected = await post(
        "/oauth/introspect",
        { token: issued, client_id: inspector.client_id, client_secret: inspector.client_secret },
        {},
        overrides,
      );
      expect(await introspected.json()).toMatchObject({ active: true });
      // Under another KEK, KV's copies do not check out either: each is refused once, by its KV
      // key alone, and the registry's copy serves (no request fails for it).
      const lines = logged.mock.calls.map(([line]) => String(line));
      const refused = lines.filter((l) => JSON.parse(l).kv !== undefined);
      for (const line of refused) {
        expect(JSON.parse(line)).toMatchObject({ level: "error", why: "unauthentic" });
        expect(line).not.toContain(kek === "" ? env.SIGNING_KEY_KEK : kek);
      }
      expect(refused.length > 0).toBe(name === "another KEK than the one that sealed them");
      const requests = lines.filter((l) => JSON.parse(l).kv === undefined);
      expect(requests).toHaveLength(3);
      for (const line of requests) {
        const parsed = JSON.parse(String(line));
        expect(parsed).toMatchObject({
          level: "error",
          status: 503,
          outcome: "signing_unavailable",
          error: { name: "SigningUnavailableError" },
        });
        expect(parsed.error.message).toContain(says);
        if (kek !== "") expect(String(line)).not.toContain(kek);
        expect(String(line)).not.toContain(env.SIGNING_KEY_KEK);
      }
      // A caller who is refused is refused for that, not told the service cannot sign.
      const wrong = await post(
        TOKEN,
        { grant_type: "client_credentials", client_id: client.client_id, client_secret: "wrong" },
        {},
        overrides,
      );
      expect([wrong.status, await wrong.json()]).toStrictEqual([
        401,
        error(401, "Unauthorized", "invalid_client", "Client authentication failed."),
      ]);
    });
  }
});

describe("CORS", () => {
  it("answers a preflight from the Elastic Path JS SDK", async () => {
    const res = await call(TOKEN, {
      method: "OPTIONS",
      headers: {
        Origin: "https://shop.example",
        "Access-Control-Request-Method": "POST",
        "Access-Control-Request-Headers": "content-type,x-moltin-sdk-language,x-moltin-sdk-version",
      },
    });
    expect(res.status).toBe(204);
    expect(res.headers.get("Access-Control-Allow-Origin")).toBe("*");
    expect(res.headers.get("Access-Control-Allow-Methods")).toBe("POST, OPTIONS");
    const allowed = res.headers.get("Access-Control-Allow-Headers")!.toLowerCase().split(", ");
    expect(allowed).toEqual(expect.arrayContaining(["content-type", "x-moltin-sdk-language", "x-moltin-sdk-version", "authorization"]));
  });

  it("puts Access-Control-Allow-Origin on token responses and errors", async () => {
    const client = await createApplicationKey();
    const ok = await post(TOKEN, { grant_type: "implicit", client_id: client.client_id }, { Origin: "https://shop.example" });
    const bad = await post(TOKEN, { grant_type: "implicit" }, { Origin: "https://shop.example" });
    expect([ok.status, bad.status]).toStrictEqual([200, 400]);
    expect(ok.headers.get("Access-Control-Allow-Origin")).toBe("*");
    expect(bad.headers.get("Access-Control-Allow-Origin")).toBe("*");
  });

  it("lets browser scripts read WWW-Authenticate and Retry-After where a response has them", async () => {
    const client = await createApplicationKey();
    const unauthorized = await post(
      TOKEN,
      { grant_type: "client_credentials" },
      { Origin: "https://shop.example", ...basic(client.client_id, "wrong") },
    );
    expect([unauthorized.status, unauthorized.headers.get("WWW-Authenticate")]).toStrictEqual([401, 'Basic realm="edge-token"']);
    expect(unauthorized.headers.get("Access-Control-Expose-Headers")).toBe("WWW-Authenticate, Retry-After");
    const ok = await post(TOKEN, { grant_type: "implicit", client_id: client.client_id }, { Origin: "https://shop.example" });
    expect(ok.headers.get("Access-Control-Expose-Headers")).toBeNull(); // nothing beyond the safelisted headers to expose
  });

  it("answers HEAD wherever it answers GET (RFC 9110 §9.3.2): the GET's status and headers, no content", async () => {
    for (const path of ["/.well-known/jwks.json", "/.well-known/oauth-authorization-server", "/oauth/cutoffs", "/openapi.json", "/"]) {
      const [get, head] = [await call(path), await call(path, { method: "HEAD" })];
      expect([path, head.status, head.headers.get("Content-Type"), head.headers.get("Cache-Control"), await head.text()]).toStrictEqual([
        path,
        get.status,
        get.headers.get("Content-Type"),
        get.headers.get("Cache-Control"),
        "",
      ]);
    }
    // its errors too: the GET's status, no body
    for (const [path, status] of [
      ["/v2/application-keys", 401],
      ["/nowhere", 404],
    ] as const) {
      const head = await call(path, { method: "HEAD" });
      expect([path, head.status, await head.text()]).toStrictEqual([path, status, ""]);
    }
    // and where there is no GET, no HEAD either
    const token = await call(TOKEN, { method: "HEAD" });
    expect([token.status, token.headers.get("Allow"), await token.text()]).toStrictEqual([405, "POST, OPTIONS", ""]);
  });

  it("tolerates trailing slashes, and 405s a method a path does not take", async () => {
    const client = await createApplicationKey();
    expect((await post(`${TOKEN}/`, { grant_type: "implicit", client_id: client.client_id })).status).toBe(200);
    expect((await call("/v2/application-keys/a/b")).status).toBe(404);
    expect((await call("/v2/application-keys/")).status).toBe(401); // the list, which needs a token
  });

  it("allows only the listed origins when CORS_ALLOWED_ORIGINS is a list", async () => {
    const overrides = { CORS_ALLOWED_ORIGINS: "https://shop.example, https://admin.example" };
    const preflight = (origin: string) =>
      call(TOKEN, { method: "OPTIONS", headers: { Origin: origin, "Access-Control-Request-Method": "POST" } }, overrides);

    const allowed = await preflight("https://admin.example");
    expect(allowed.headers.get("Access-Control-Allow-Origin")).toBe("https://admin.example");
    expect(allowed.headers.get("Vary")).toBe("Origin");

    const denied = await preflight("https://evil.example");
    expect(denied.headers.get("Access-Control-Allow-Origin")).toBeNull();
    expect(denied.headers.get("Vary")).toBe("Origin");
  });

  it("404s a preflight for an unknown path", async () => {
    const res = await call("/nope", {
      method: "OPTIONS",
      headers: { Origin: "https://shop.example", "Access-Control-Request-Method": "POST" },
    });
    expect(res.status).toBe(404);
  });
});
