import { Router } from "itty-router";
import { describe, expect, it } from "vitest";
import document from "../../src/openapi.json" with { type: "json" };

/**
 * On Node, whose clock runs while code does (workerd's stands still): matching a hostile path
 * against the route table's patterns is linear. A regex that backtracks on slashes followed by
 * a segment (as /\/+$/ did) took about 4 s of CPU for 50,000 of them, before any
 * authentication. A complexity guard with a margin of thousands, not a benchmark. The paths are
 * the OpenAPI document's, in its order, which is the route table's (test/api/openapi.test.ts
 * holds the two to the same operations); the Worker's modules do not load on Node.
 */
const routes = Object.keys(document.paths).map((path) => [path.replace(/\{(\w+)\}/g, ":$1")] as const);
describe("the router's patterns", () => {
  const matched: string[] = [];
  const router = Router();
  for (const [path] of routes) router.all(path, () => matched.push(path) && new Response());
  router.all("*", () => matched.push("*") && new Response());
  const route = async (path: string) => {
    matched.length = 0;
    await router.fetch(new Request(`https://auth.example${path}`));
    return matched[0];
  };

  it("are linear in the path's length", async () => {
    for (const path of [`${"/".repeat(50_000)}x/`, `/docs/${"a/".repeat(25_000)}x`, `/v2/application-keys/x${"/".repeat(50_000)}y`]) {
      const before = process.cpuUsage();
      for (let i = 0; i < 3; i++) await route(path);
      const { user, system } = process.cpuUsage(before);
      expect([path.length, (user + system) / 1000 < 250]).toStrictEqual([path.length, true]);
    }
  });

  it("allow trailing slashes and nothing else", async () => {
    for (const [path, pattern] of [
      ["/", "/"],
      ["//", "/"],
      ["/oauth/access_token///", "/oauth/access_token"],
      ["/oauth/access_token/x", "*"],
      ["/v2/application-keys/audit/", "/v2/application-keys/audit"],
      ["/v2/application-keys/abc/", "/v2/application-keys/:id"],
      ["/v2/application-keys/abc/def", "*"],
      ["/docs/api.md", "/docs/:name"],
      ["/docs//api.md", "*"],
    ]) {
      expect([path, await route(path!)]).toStrictEqual([path, pattern]);
    }
  });
});
