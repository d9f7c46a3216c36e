import { describe, expect, it } from "vitest";
import { parseBasic } from "../../../src/http/basic.ts";
import { HttpError } from "../../../src/lib/errors.ts";

describe("parseBasic", () => {
  it("form-url-decodes Basic id and secret (RFC 6749 §2.3.1)", () => {
    const header = `Basic ${btoa("my%2Bid:s+e%3Acret")}`;
    expect(parseBasic(header)).toStrictEqual({ clientId: "my+id", clientSecret: "s e:cret" });
    expect(parseBasic(null)).toBeUndefined();
    expect(parseBasic("Bearer abc")).toBeUndefined();
  });

  it("refuses malformed Basic credentials with a 400", () => {
    for (const header of ["Basic !!!", `Basic ${btoa("no-colon")}`, `Basic ${btoa("\xff\xfe:x")}`]) {
      let thrown: unknown;
      try {
        parseBasic(header);
      } catch (e) {
        thrown = e;
      }
      expect([header, thrown instanceof HttpError && thrown.status]).toStrictEqual([header, 400]);
    }
  });
});
