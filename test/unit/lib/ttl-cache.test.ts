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

  // A replay memory that forgets everything when full lets one flood of fresh proofs wipe it.
  it("when full, drops expired entries first and keeps the live ones", () => {
    const cache = new TtlCache<number>(3);
    cache.set("short", 1, 1000, 0);
    cache.set("b", 1, 60_000, 0);
    cache.set("c", 1, 60_000, 0);
    cache.set("d", 1, 60_000, 2000);
    expect(["short", "b", "c", "d"].map((k) => cache.get(k, 2000))).toStrictEqual([undefined, 1, 1, 1]);
  });

  it("when full of live entries, drops the oldest tenth, never all, so a flood stays bounded", () => {
    const cache = new TtlCache<number>(10);
    for (let i = 0; i < 10; i++) cache.set(`k${i}`, i, 60_000, 0);
    cache.set("k10", 10, 60_000, 0);
    expect(Array.from({ length: 11 }, (_, i) => cache.get(`k${i}`, 0))).toStrictEqual([undefined, 1, 2, 3, 4, 5, 6, 7, 8, 9, 10]);
    for (let i = 11; i < 1000; i++) cache.set(`k${i}`, i, 60_000, 0);
    expect(cache.get("k999", 0)).toBe(999);
    expect(Array.from({ length: 1000 }, (_, i) => cache.get(`k${i}`, 0)).filter((v) => v !== undefined).length).toBeLessThanOrEqual(10);
  });
});
