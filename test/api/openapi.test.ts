import { describe, expect, it } from "vitest";
import document from "../../src/openapi.json";
import { routes } from "../../src/router.ts";
import { violation } from "../support/contract.ts";

const documented = document.paths as Record<string, Record<string, unknown>>;

describe("the OpenAPI document and the route table", () => {
  it("describe the same operations", () => {
    const fromRoutes = routes.flatMap(([path, methods]) => Object.keys(methods).map((m) => `${m} ${path.replace(/:(\w+)/g, "{$1}")}`));
    const fromDocument = Object.entries(documented).flatMap(([path, item]) =>
      Object.keys(item)
        .filter((k) => ["get", "put", "post", "delete", "patch"].includes(k))
        .map((m) => `${m.toUpperCase()} ${path}`),
    );
    expect(fromRoutes.sort()).toStrictEqual(fromDocument.sort());
  });

  it("the contract check refuses what the document does not describe", () => {
    const ok = { method: "POST", pathname: "/oauth/revoke", status: 200, contentType: "", body: "" };
    expect(violation(ok)).toBeUndefined();
    expect(violation({ ...ok, status: 418 })).toBe("status 418 is not documented");
    expect(violation({ ...ok, body: "x" })).toBe("a body where the document has none");
    expect(violation({ ...ok, pathname: "/nowhere", status: 200 })).toBe("no documented path, yet 200");
    expect(violation({ ...ok, method: "GET", status: 200 })).toBe("no documented GET, yet 200");
    const error = JSON.stringify({ errors: [{ title: "Unauthorized", status: "401", detail: "x", code: "invalid_client" }] });
    expect(violation({ ...ok, status: 401, contentType: "application/json", body: error })).toBeUndefined();
    expect(violation({ ...ok, status: 401, contentType: "text/plain", body: error })).toBe(
      'content type "text/plain" is not documented (application/json)',
    );
    expect(violation({ ...ok, status: 401, contentType: "application/json", body: error.replace("invalid_client", "teapot") })).toMatch(
      /^body does not match #\/components\/schemas\/Errors/,
    );
  });
});
