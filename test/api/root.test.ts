import { describe, expect, it } from "vitest";
import { call, ORIGIN } from "../support/helpers.ts";

const LINKS = {
  token_endpoint: `${ORIGIN}/oauth/access_token`,
  metadata: `${ORIGIN}/.well-known/oauth-authorization-server`,
  jwks: `${ORIGIN}/.well-known/jwks.json`,
  openapi: `${ORIGIN}/openapi.json`,
  readme: `${ORIGIN}/README.md`,
  console: `${ORIGIN}/console`,
};

describe("GET /", () => {
  it("answers a browser with a small self-contained page under a strict CSP", async () => {
    const res = await call("/", { headers: { Accept: "text/html,application/xhtml+xml,application/xml;q=0.9,*/*;q=0.8" } });
    expect(res.status).toBe(200);
    expect(res.headers.get("Content-Type")).toBe("text/html; charset=utf-8");
    expect(res.headers.get("Vary")).toBe("Accept");
    const csp = res.headers.get("Content-Security-Policy")!;
    expect(csp).toMatch(
      /^default-src 'none'; style-src 'sha256-[A-Za-z0-9+/]{43}='; base-uri 'none'; form-action 'none'; frame-ancestors 'none'$/,
    );
    const html = await res.text();
    // the CSP's hash is the hash of the page's one style element: nothing else may run or load
    const style = /<style>([\s\S]*)<\/style>/.exec(html)![1]!;
    const digest = new Uint8Array(await crypto.subtle.digest("SHA-256", new TextEncoder().encode(style)));
    expect(csp).toContain(`'sha256-${btoa(String.fromCharCode(...digest))}'`);
    expect(html).not.toMatch(/<script|src=|@import|url\(/);
    expect(html).toContain(`<code>${ORIGIN}</code>`);
    for (const href of [LINKS.metadata, LINKS.jwks, LINKS.openapi, LINKS.readme, LINKS.console]) expect(html).toContain(`href="${href}"`);
  });

  it("answers anything else with a JSON index of the same links", async () => {
    for (const accept of [undefined, "application/json", "*/*"]) {
      const res = await call("/", accept ? { headers: { Accept: accept } } : {});
      expect([accept, res.status, res.headers.get("Content-Type")]).toStrictEqual([accept, 200, "application/json"]);
      expect(await res.json()).toStrictEqual({
        service: "edge-token",
        description: "An OAuth 2.0 token service: client_credentials and implicit grants, RFC 9068 JWT access tokens.",
        issuer: ORIGIN,
        links: LINKS,
      });
    }
  });

  it("escapes the issuer it shows", async () => {
    const res = await call("/", { headers: { Accept: "text/html" } }, { ISSUER: 'https://auth.example/<script>"x"' });
    const html = await res.text();
    expect(html).not.toContain("<script>");
    expect(html).toContain("&#60;script&#62;&#34;x&#34;");
  });
});

describe("the documents", () => {
  it("serves the OpenAPI description, cacheable, with this deployment as its server", async () => {
    const res = await call("/openapi.json");
    expect([res.status, res.headers.get("Content-Type"), res.headers.get("Cache-Control")]).toStrictEqual([
      200,
      "application/json",
      "public, max-age=300",
    ]);
    const doc = (await res.json()) as { openapi: string; servers: unknown };
    expect([doc.openapi, doc.servers]).toStrictEqual(["3.1.0", [{ url: ORIGIN }]]);
  });

  it("serves the README", async () => {
    const res = await call("/README.md");
    expect([res.status, res.headers.get("Content-Type")]).toStrictEqual([200, "text/markdown; charset=utf-8"]);
    expect((await res.text()).startsWith("# edge-token\n")).toBe(true);
  });

  it("serves every document the README links to, so its links work where it is served", async () => {
    const readme = await (await call("/README.md")).text();
    const linked = [...new Set([...readme.matchAll(/\]\((docs\/[a-z-]+\.md)\)/g)].map((m) => m[1]!))];
    expect(linked.length).toBeGreaterThanOrEqual(6);
    for (const path of linked) {
      const res = await call(`/${path}`);
      expect([path, res.status, res.headers.get("Content-Type")]).toStrictEqual([path, 200, "text/markdown; charset=utf-8"]);
      expect((await res.text()).startsWith("# ")).toBe(true);
    }
    for (const missing of ["/docs/nope.md", "/docs/__proto__", "/docs/constructor"])
      expect([missing, (await call(missing)).status]).toStrictEqual([missing, 404]);
  });

  it("GET /docs/ lists every document, each link resolving under /docs/ to the document itself", async () => {
    const res = await call("/docs/");
    expect([res.status, res.headers.get("Content-Type")]).toStrictEqual([200, "text/markdown; charset=utf-8"]);
    const links = [...(await res.text()).matchAll(/^- \[([a-z-]+\.md)\]\(([a-z-]+\.md)\)$/gm)].map((m) => [m[1], m[2]]);
    expect(links.map(([name]) => name).sort()).toStrictEqual([
      "api.md",
      "architecture.md",
      "benchmark.md",
      "cli.md",
      "console.md",
      "permissions.md",
      "rotation.md",
      "security.md",
      "settings.md",
      "storage.md",
      "verifying-tokens.md",
    ]);
    for (const [name, href] of links) {
      const doc = await call(new URL(href!, `${ORIGIN}/docs/`).pathname);
      expect([name, doc.status]).toStrictEqual([name, 200]);
    }
  });
});
