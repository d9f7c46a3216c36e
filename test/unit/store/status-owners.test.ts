import { describe, expect, it } from "vitest";
import { REGION_DIGITS, REGIONS } from "../../../src/config/regions.ts";
import { ownerOf, regionalList } from "../../../src/store/status-owners.ts";

describe("a list's number names its owner", () => {
  it("its leading digit of nine is the region, the rest its number there; below 100000000, the registry's, from before regions", () => {
    expect(ownerOf("300000017")).toStrictEqual({ region: "eu", n: 17 });
    expect(ownerOf("499999999")).toStrictEqual({ region: "na", n: 99_999_999 });
    expect(ownerOf("17")).toStrictEqual({ region: undefined, n: 17 });
    expect(ownerOf(17)).toStrictEqual({ region: undefined, n: 17 }); // as an isolate of the version before regions sends it
    for (const r of REGIONS) expect(ownerOf(regionalList(r, 5))).toStrictEqual({ region: r, n: 5 });
    expect(new Set(Object.values(REGION_DIGITS)).size).toBe(REGIONS.length);
  });

  it("no owner for a number no list can have: zero, a region's zeroth list, a digit no region has, ten digits, not an integer", () => {
    for (const bad of ["0", "400000000", "700000001", "900000001", "1000000000", "1.5", "-3", "", "eu-1"]) {
      expect([bad, ownerOf(bad)]).toStrictEqual([bad, undefined]);
    }
  });
});
