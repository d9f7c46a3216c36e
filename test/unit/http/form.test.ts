import { describe, expect, it } from "vitest";
import { param, parseForm } from "../../../src/http/form.ts";
import { HttpError } from "../../../src/lib/errors.ts";

const refusal = (body: string) => {
  try {
    parseForm(body);
  } catch (e) {
    return e instanceof HttpError ? [e.status, e.code, e.detail] : e;
  }
  return "accepted";
};

describe("parseForm", () => {
  it("decodes + and percent-escapes, keeps __proto__ as data", () => {
    const form = parseForm("a=b+c&d=%26%3D&__proto__=x&constructor=y&&e");
    expect([...form]).toStrictEqual([
      ["a", "b c"],
      ["d", "&="],
      ["__proto__", "x"],
      ["constructor", "y"],
      ["e", ""],
    ]);
    expect(({} as any).x).toBeUndefined();
    // a "+" alone is decoded too; a body with neither is taken as it is
    expect([...parseForm("scope=read+write")]).toStrictEqual([["scope", "read write"]]);
    expect([...parseForm("grant_type=client_credentials&client_id=abc")]).toStrictEqual([
      ["grant_type", "client_credentials"],
      ["client_id", "abc"],
    ]);
  });

  it("refuses a parameter given twice, and malformed percent-encoding", () => {
    expect(refusal("scope=a&scope=b")).toStrictEqual([400, "invalid_request", 'The parameter "scope" was given more than once.']);
    expect(refusal("a%20b=1&a%20b=2")).toStrictEqual([400, "invalid_request", "The same parameter was given more than once."]);
    expect(refusal("a=%ZZ")).toStrictEqual([400, "invalid_request", "The request contains malformed percent-encoding."]);
  });

  it("lets resource repeat (RFC 8707); all() drops empty values, param() treats empty as omitted", () => {
    const form = parseForm("resource=https%3A%2F%2Fa.example&resource=&resource=https%3A%2F%2Fb.example&scope=");
    expect(form.all("resource")).toStrictEqual(["https://a.example", "https://b.example"]);
    expect(form.all("client_id")).toStrictEqual([]);
    expect(param(form, "scope")).toBeUndefined();
    expect(param(form, "resource")).toBe("https://a.example");
  });
});
