import { describe, expect, it } from "vitest";
import { deflate } from "../../../src/lib/deflate.ts";
import { decodeList, encodeList, statusAt } from "../../../src/oauth/status-list.ts";

/**
 * The byte array of draft-ietf-oauth-status-list §4.1 and its JSON form (§4.2), against the
 * draft's own examples (§4.1) and test vectors (Appendix, "Test vectors for Status List
 * encoding": lists of 2^20 entries).
 */
const MAX = 2 * 1024 * 1024;
const statuses = async (lst: string, bits: 1 | 2, count: number) => {
  const list = await decodeList({ bits, lst }, MAX);
  return Array.from({ length: count }, (_, i) => statusAt(list, i));
};

describe("status lists (draft-ietf-oauth-status-list §4)", () => {
  it("reads the draft's 1-bit and 2-bit examples (§4.1, §4.2)", async () => {
    expect(await statuses("eNrbuRgAAhcBXQ", 1, 16)).toStrictEqual([1, 0, 0, 1, 1, 1, 0, 1, 1, 1, 0, 0, 0, 1, 0, 1]);
    expect(await statuses("eNo76fITAAPfAgc", 2, 12)).toStrictEqual([1, 2, 0, 3, 0, 1, 0, 1, 1, 2, 3, 3]);
  });

  it("reads the draft's 2^20-entry 1-bit test vector", async () => {
    const lst =
      "eNrt3AENwCAMAEGogklACtKQPg9LugC9k_ACvreiogEAAKkeCQAAAAAAAAAAAAAAAAAAAIBylgQAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAXG9IAAAAAAAAAPwsJAAAAAAAAAAAAAAAvhsSAAAAAAAAAAAA7KpLAAAAAAAAAAAAAAAAAAAAAJsLCQAAAAAAAAAAADjelAAAAAAAAAAAKjDMAQAAAACAZC8L2AEb";
    const list = await decodeList({ bits: 1, lst }, MAX);
    expect(list.bytes.length).toBe(2 ** 20 / 8);
    const set = [0, 1993, 25460, 159495, 495669, 554353, 645645, 723232, 854545, 934534, 1000345];
    for (const i of set) expect([i, statusAt(list, i)]).toStrictEqual([i, 1]);
    let ones = 0;
    for (let i = 0; i < 2 ** 20; i++) ones += statusAt(list, i)!;
    expect(ones).toBe(set.length);
    expect(statusAt(list, 2 ** 20)).toBeUndefined(); // §8.3: beyond the list, nothing can be said
  });

  it("writes what it reads: one bit per token, the given indices 1, sized for every index", async () => {
    const json = await encodeList(2 ** 20, [0, 7, 8, 1000345, 2 ** 20 - 1]);
    expect(json.bits).toBe(1);
    expect(json.lst).toMatch(/^[A-Za-z0-9_-]+$/);
    const list = await decodeList(json, MAX);
    expect([0, 7, 8, 1000345, 2 ** 20 - 1].map((i) => statusAt(list, i))).toStrictEqual([1, 1, 1, 1, 1]);
    expect([1, 6, 9, 1000344].map((i) => statusAt(list, i))).toStrictEqual([0, 0, 0, 0]);
    expect(json.lst.length).toBeLessThan(400); // mostly zeros: a few hundred bytes for 128 KiB
  });

  it("refuses what is not a list: a width it does not define, a lst that is not base64url or not ZLIB, one too big", async () => {
    for (const bad of [{ bits: 3, lst: "eNrbuRgAAhcBXQ" }, { bits: 1, lst: "eNrb+RgAAhcBXQ==" }, { bits: 1, lst: "AAAA" }, null, "x"]) {
      await expect(decodeList(bad, MAX)).rejects.toThrow();
    }
    const bomb = {
      bits: 1,
      lst: btoa(String.fromCharCode(...(await deflate(new Uint8Array(MAX + 1)))))
        .replaceAll("+", "-")
        .replaceAll("/", "_")
        .replace(/=+$/, ""),
    };
    await expect(decodeList(bomb, MAX)).rejects.toThrow(RangeError);
    const list = await decodeList({ bits: 1, lst: "eNrbuRgAAhcBXQ" }, MAX);
    expect([statusAt(list, -1), statusAt(list, 1.5), statusAt(list, Number.NaN)]).toStrictEqual([undefined, undefined, undefined]);
  });
});
