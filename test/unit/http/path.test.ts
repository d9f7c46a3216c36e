import { describe, expect, it } from "vitest";
import { pathForLog } from "../../../src/http/path.ts";
import { MAX_LOGGED_PATH } from "../../../src/lib/limits.ts";

describe("a path as the log line records it", () => {
  it("keeps the API's ids and every route's words", () => {
    for (const path of [
      "/oauth/access_token",
      "/v2/application-keys/01a24e1a-8853-77a8-b33d-5becb09054be/secret",
      "/v2/application-keys/01A24E1A-8853-77A8-B33D-5BECB09054BE",
      "/v2/application-keys/7f21718d230f9ba48fedaca2e57df840fa3d6de3",
      "/docs/verifying-tokens.md",
      "/oauth/status-lists/300000017",
    ]) {
      expect(pathForLog(path)).toBe(path);
    }
  });

  it("leaves out a segment that could be a pasted secret or token, wherever it stands", () => {
    const secret = "vb9S3Vy1kKo_vlIe4v-0vvZstza2rPdCGnrZYF1LPVUD";
    const token = "eyJhbGciOiJFZERTQSIsImtpZCI6IngiLCJ0eXAiOiJhdCtqd3QifQ.eyJhIjoxfQ.AAAA";
    expect(pathForLog(`/v2/application-keys/${secret}/secret`)).toBe("/v2/application-keys/…/secret");
    expect(pathForLog(`/v2/application-keys/${token}`)).toBe("/v2/application-keys/…");
    expect(pathForLog(`/${secret}`)).toBe("/…");
  });

  it("leaves out a pasted secret or token inside a segment too, beside a character no credential has", () => {
    const id = "7f21718d230f9ba48fedaca2e57df840fa3d6de3";
    const secret = "vb9S3Vy1kKo_vlIe4v-0vvZstza2rPdCGnrZYF1LPVUD";
    expect(pathForLog(`/${id}:${secret}`)).toBe(`/${id}:…`);
    expect(pathForLog(`/oauth/access_token/client_id=${id}&client_secret=${secret}`)).toBe("/oauth/access_token/…&…");
    expect(pathForLog(`/a;${secret}`)).toBe("/a;…");
    expect(pathForLog(`/@${secret}`)).toBe("/@…");
    expect(pathForLog(`/oauth/access_token,${secret}`)).toBe("/oauth/access_token,…");
    expect(pathForLog(`/v2/application-keys/${id}%3A${secret}`)).toBe("/v2/application-keys/…");
  });

  it("a segment is credential-like from 32 characters, however short the whole path", () => {
    expect(pathForLog("x".repeat(32))).toBe("…");
    expect(pathForLog(`/${"x".repeat(32)}`)).toBe("/…");
    expect(pathForLog(`/${"x".repeat(31)}`)).toBe(`/${"x".repeat(31)}`);
    expect(pathForLog("x".repeat(31))).toBe("x".repeat(31));
  });

  it("stays bounded and linear for any path a stranger sends", () => {
    const long = `/${"a/".repeat(50_000)}`;
    const shown = pathForLog(long);
    expect([shown.length, shown.endsWith("…")]).toStrictEqual([MAX_LOGGED_PATH, true]);
    expect(pathForLog(`/${"x".repeat(100_000)}`)).toBe("/…");
    // runs just short of a credential's length, one after another: each looked at once more, no more
    expect(pathForLog(`/${`${"x".repeat(31)}:`.repeat(3_000)}`)).toHaveLength(MAX_LOGGED_PATH);
  });
});
