import { describe, expect, it } from "vitest";
import { badTokens } from "../support/bad-tokens.ts";
import { basic, claimsOf, createApplicationKey, error, ORIGIN, post, tokenFor } from "../support/helpers.ts";
import { revokeAtOwner } from "../support/status.ts";

const INTROSPECT = "/oauth/introspect";

describe("POST /oauth/introspect", () => {
  it("describes a live token", async () => {
    const client = await createApplicationKey();
    const caller = await createApplicationKey("resource server");
    for (const grant of ["client_credentials", "implicit"] as const) {
      const token = await tokenFor(client, grant);
      const res = await post(INTROSPECT, { token }, basic(caller.client_id, caller.client_secret));
      expect(res.status).toBe(200);
      expect(res.headers.get("Cache-Control")).toBe("no-store");
      const c = claimsOf(token);
      expect(await res.json()).toStrictEqual({
        active: true,
        client_id: client.client_id,
        sub: client.client_id,
        scope: grant === "implicit" ? "read" : "read write",
        exp: c.exp,
        iat: c.iat,
        iss: ORIGIN,
        aud: ORIGIN,
        jti: c.jti,
        token_type: "Bearer",
        grant_type: grant,
      });
    }
  });

  it('answers {"active":false} for every unusable token', async () => {
    const client = await createApplicationKey();
    const revoked = await tokenFor(client);
    await post("/oauth/revoke", { token: revoked, client_id: client.client_id, client_secret: client.client_secret });
    const cases = [...(await badTokens(client)).map(([name, token]) => [name, token]), ["revoked", revoked]];
    for (const [name, token] of cases) {
      const res = await post(INTROSPECT, { token: token!, client_id: client.client_id, client_secret: client.client_secret });
      expect([name, res.status, res.headers.get("Cache-Control"), await res.json()]).toStrictEqual([
        name,
        200,
        "no-store",
        { active: false },
      ]);
    }
  });

  it("401 without client authentication, for a public client too", async () => {
    const client = await createApplicationKey();
    const token = await tokenFor(client);
    const cases: Record<string, string>[] = [
      { token },
      { token, client_id: client.client_id },
      { token, client_id: client.client_id, client_secret: "nope" },
    ];
    for (const params of cases) {
      const res = await post(INTROSPECT, params);
      expect(res.status).toBe(401);
      expect(await res.json()).toStrictEqual(error(401, "Unauthorized", "invalid_client", "Client authentication failed."));
    }
  });

  it("400 without token", async () => {
    const client = await createApplicationKey();
    const res = await post(INTROSPECT, { client_id: client.client_id, client_secret: client.client_secret });
    expect(res.status).toBe(400);
    expect(await res.json()).toStrictEqual(error(400, "Bad Request", "invalid_request", 'The parameter "token" is required.'));
  });

  it("400 for a body that is not a form", async () => {
    const res = await post(INTROSPECT, {}, { "Content-Type": "application/json" });
    expect(res.status).toBe(400);
  });

  it("answers from the status lists KV holds, as every verifier does", async () => {
    const client = await createApplicationKey();
    const token = await tokenFor(client);
    // another isolate's revocation: through the registry into KV, this isolate not told
    await revokeAtOwner(token);
    const res = await post(INTROSPECT, { token, client_id: client.client_id, client_secret: client.client_secret });
    expect(await res.json()).toStrictEqual({ active: false });
  });
});
