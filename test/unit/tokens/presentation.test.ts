import { describe, expect, it } from "vitest";
import { bearerToken } from "../../../src/http/bearer.ts";
import { carriesNoToken, presentedToken } from "../../../src/tokens/presentation.ts";

/** A request with this Authorization header value (none when undefined), as the runtime hands it over. */
const withAuthorization = (value?: string) =>
  new Request("https://api.example/x", value === undefined ? {} : { headers: { Authorization: value } });

const T = "eyJhbGciOiJFZERTQSJ9.eyJhIjoxfQ.AAAA";

describe("how a request presents its token", () => {
  it("carries no token: no header, or only credentials of another scheme", () => {
    for (const value of [undefined, "", "Basic eDp5", "Token abc", "Bearerx abc", "Basic x; Bearer T"]) {
      expect([value, carriesNoToken(withAuthorization(value))]).toStrictEqual([value, true]);
    }
  });

  it("carries a token wherever a Bearer or DPoP credential begins, whatever ends its scheme: sent wrongly, it is not 'none'", () => {
    for (const value of [
      "Bearer",
      "DPoP",
      `Bearer\t${T}`,
      `Bearer\u000b${T}`,
      "Bearer,",
      "Bearer, Basic eDp5",
      "Basic eDp5, Bearer",
      "DPoP, Basic eDp5",
      `Basic eDp5,Bearer ${T}`,
    ]) {
      expect([value, carriesNoToken(withAuthorization(value))]).toStrictEqual([value, false]);
    }
  });

  it("takes a token only as RFC 6750 §2.1 spells it: the scheme, spaces, the token, nothing after it but spaces or tabs", () => {
    expect(presentedToken(withAuthorization(`Bearer ${T}`))).toStrictEqual({ scheme: "Bearer", token: T });
    expect(presentedToken(withAuthorization(`bEaReR  ${T}`))).toStrictEqual({ scheme: "Bearer", token: T });
    expect(presentedToken(withAuthorization(`DPoP ${T}`))).toStrictEqual({ scheme: "DPoP", token: T });
    expect(bearerToken(withAuthorization(`Bearer ${T}`))).toBe(T);
    for (const after of ["\u000b", "\u000c", ", Basic eDp5"]) {
      const value = `Bearer ${T}${after}`;
      expect([JSON.stringify(after), presentedToken(withAuthorization(value)), bearerToken(withAuthorization(value))]).toStrictEqual([
        JSON.stringify(after),
        undefined,
        undefined,
      ]);
    }
  });
});
