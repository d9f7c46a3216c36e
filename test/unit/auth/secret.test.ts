import { afterEach, describe, expect, it, vi } from "vitest";
import { secretMatches } from "../../../src/auth/secret.ts";
import { hashSecret } from "../../../src/store/application-keys.ts";

afterEach(() => vi.restoreAllMocks());

describe("secretMatches", () => {
  it("takes the current secret or the previous one, nothing else", async () => {
    const [current, previous] = [await hashSecret("current"), await hashSecret("previous")];
    const table: [string, string | undefined, string | undefined, boolean][] = [
      ["current", current, undefined, true],
      ["current", current, previous, true],
      ["previous", current, previous, true],
      ["previous", current, undefined, false],
      ["other", current, previous, false],
      ["current", undefined, previous, false],
      ["previous", undefined, previous, true],
      ["current", "not a digest", undefined, false],
      ["previous", current, "not a digest", false],
      // the dummy digest a missing one is compared against is 32 zero bytes: never a match
      ["", "AAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAA", undefined, false],
    ];
    for (const [secret, stored, old, expected] of table) {
      expect([secret, stored, old, await secretMatches(secret, stored, old)]).toStrictEqual([secret, stored, old, expected]);
    }
  });

  it("does the same work whether or not there is a previous secret (or any): one hash, two constant-time compares", async () => {
    const compares = vi.spyOn(crypto.subtle, "timingSafeEqual");
    const digests = vi.spyOn(crypto.subtle, "digest");
    const current = await hashSecret("current");
    const counts: number[][] = [];
    for (const [stored, old] of [
      [current, undefined],
      [current, await hashSecret("previous")],
      [undefined, undefined],
    ] as const) {
      compares.mockClear();
      digests.mockClear();
      await secretMatches("guess", stored, old);
      counts.push([digests.mock.calls.length, compares.mock.calls.length]);
    }
    expect(counts).toStrictEqual([
      [1, 2],
      [1, 2],
      [1, 2],
    ]);
  });
});
