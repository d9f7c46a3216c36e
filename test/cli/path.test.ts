import { describe, expect, it } from "vitest";
import { withoutTrailingSlashes } from "../../src/http/path.ts";

/**
 * On Node, whose clock runs while code does (workerd's stands still): the router's trailing-slash
 * trim is linear. The regex it replaced, /\/+$/, backtracked on slashes followed by a segment:
 * 50,000 of them took about 4 s of CPU before any authentication; now 3 trims take well under
 * a millisecond. A complexity guard with a margin of thousands, not a benchmark.
 */
describe("the router's path trim", () => {
  it("is linear in the path's length", () => {
    const path = `${"/".repeat(50_000)}x/`;
    const before = process.cpuUsage();
    for (let i = 0; i < 3; i++) expect(withoutTrailingSlashes(path)).toBe(path.slice(0, -1));
    const { user, system } = process.cpuUsage(before);
    expect((user + system) / 1000).toBeLessThan(250);
  });

  it("drops trailing slashes and nothing else", () => {
    for (const [input, output] of [
      ["/", "/"],
      ["//", "/"],
      ["/a", "/a"],
      ["/a/", "/a"],
      ["/a///", "/a"],
      ["/a//b//", "/a//b"],
    ]) {
      expect([input, withoutTrailingSlashes(input!)]).toStrictEqual([input, output]);
    }
  });
});
