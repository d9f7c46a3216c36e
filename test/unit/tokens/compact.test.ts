import { describe, expect, it } from "vitest";
import { isCanonicalCompactJws } from "../../../src/tokens/compact.ts";

describe("isCanonicalCompactJws", () => {
  it("takes three base64url segments with zero unused bits, and nothing else", () => {
    const cases: [string, boolean][] = [
      ["eyJ0.eyJ0.AAAA", true],
      ["eyJ0.eyJ0.", true], // an unsecured JWT's empty signature: well-formed, refused later for its alg
      ["eyJ0.eyJ0.AA", true], // 4n+2: low 4 bits of the last character zero (A, Q, g, w)
      ["eyJ0.eyJ0.AQ", true],
      ["eyJ0.eyJ0.AB", false],
      ["eyJ0.eyJ0.AAE", true], // 4n+3: low 2 bits zero
      ["eyJ0.eyJ0.AAF", false],
      ["eyJ0.eyJ0.AAAAA", false], // 4n+1 encodes no whole byte
      ["eyJ.eyJ0.AAAA", false], // "eyJ" leaves a 1 in its unused bits
      ["eyJ0.eyJ0.AAA=", false],
      ["eyJ0.eyJ0.AA+A", false],
      ["eyJ0.eyJ0.AA/A", false],
      ["eyJ0.eyJ0.AA A", false],
      ["eyJ0..AAAA", false],
      ["eyJ0.eyJ0", false],
      ["eyJ0.eyJ0.AAAA.AAAA", false],
      ["eyJ0.eyJ0.AAAA\n", false],
      [`eyJ0.${"A".repeat(4096 - 12)}.AAAA`, true],
      [`eyJ0.${"A".repeat(4096 - 8)}.AAAA`, false],
    ];
    for (const [token, ok] of cases) expect([token.slice(0, 24), isCanonicalCompactJws(token)]).toStrictEqual([token.slice(0, 24), ok]);
  });
});
