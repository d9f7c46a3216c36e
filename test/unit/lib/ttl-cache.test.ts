import { describe, expect, it } from "vitest";
import { TtlCache } from "../../../src/lib/ttl-cache.ts";

describe("TtlCache", () => {
  it("keeps an entry for its lifetime and not a millisecond more", () => {
    const cache = new TtlCache<string>();
    cache.set("a", "x", 1000, 5000);
    expect([cache.get("a", 5999), cache.get("a", 6000)]).toStrictEqual(["x", undefined]);
    expect(cache.get("a", 5000)).toBeUndefined(); // expired entries are dropped on read
  });

  it("stores nothing for a lifetime of zero or less, and forgets on delete", () => {
    const cache = new TtlCache<number>();
    cache.set("zero", 1, 0);
    cache.set("kept", 2, 60_000);
    cache.delete("kept");
    expect([cache.get("zero"), cache.get("kept")]).toStrictEqual([undefined, undefined]);
  });

  it("starts over when full, so a flood of keys stays bounded", () => {
    const cache = new TtlCache<number>(3);
    for (const k of ["a", "b", "c"]) cache.set(k, 1, 60_000);
    cache.set("d", 1, 60_000);
    expect(["a", "b", "c", "d"].map((k) => cache.get(k))).toStrictEqual([undefined, undefined, undefined, 1]);
  });
});
