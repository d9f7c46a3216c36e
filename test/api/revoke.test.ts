import { createExecutionContext, runDurableObjectAlarm, runInDurableObject } from "cloudflare:test";
import { env } from "cloudflare:workers";
import { afterEach, describe, expect, it, vi } from "vitest";
import type { Env } from "../../src/config/settings.ts";
import { TokenVerifier } from "../../src/index.ts";
import { CLOCK_SKEW_SECONDS } from "../../src/lib/limits.ts";
import { ownerOf } from "../../src/store/status-owners.ts";
import {
  basic,
  call,
  claimsOf,
  createAdmin,
  createApplicationKey,
  error,
  faulty,
  inOneWindow,
  issueAt,
  nowSeconds,
  ORIGIN,
  post,
  randomIp,
  tokenFor,
} from "../support/helpers.ts";
import { clientKey, proof } from "../support/possession.ts";
import { bitInKv, cutoffsInKv, faultyRegions, revokeAtOwner } from "../support/status.ts";

const REVOKE = "/oauth/revoke";
afterEach(() => vi.restoreAllMocks());

const creds = (c: { client_id: string; client_secret: string }) => ({ client_id: c.client_id, client_secret: c.client_secret });
const introspect = async (token: string, c: { client_id: string; client_secret: string }) =>
  (await (await post("/oauth/introspect", { token, ...creds(c) })).json()) as { active: boolean };

const bearer = (token: string) => ({ Authorization: `Bearer ${token}` });

const listOf = (token: string) => claimsOf(token).status!.status_list.uri.split("/").at(-1)!;

async function revocationEntry(jti: string) {
  const { keys } = await env.REVOCATIONS.list({ prefix: `jti:${jti}` });
  return keys;
}

describe("POST /oauth/revoke", () => {
  it("revokes a token: 200, empty body, inactive afterwards, its bit set in its status list in KV", async () => {
    const client = await createApplicationKey();
    const token = await tokenFor(client);
    expect((await introspect(token, client)).active).toBe(true);
    expect(await bitInKv(token)).toBe(0);

    const res = await post(REVOKE, { token, token_type_hint: "access_token", ...creds(client) });
    expect(res.status).toBe(200);
    expect(await res.text()).toBe("");
    expect(res.headers.get("Cache-Control")).toBe("no-store");

    expect(await introspect(token, client)).toStrictEqual({ active: false });
    // In KV when the 200 comes: every location sees it as KV propagates.
    expect(await bitInKv(token)).toBe(1);
    // And nothing else: no KV key per revoked token (earlier verifiers' `jti:` keys are written no more).
    expect(await revocationEntry(claimsOf(token).jti)).toStrictEqual([]);
  });

  it("revokes a token from before status lists by its jti, in the cut-offs document", async () => {
    const client = await createApplicationKey();
    const { token, claims } = await issueAt(client, nowSeconds()); // as an earlier version issued it: no status claim
    expect(claims.status).toBeUndefined();
    expect((await introspect(token, client)).active).toBe(true);
    expect((await post(REVOKE, { token, ...creds(client) })).status).toBe(200);
    expect((await cutoffsInKv())!.tokens[claims.jti]).toBe(claims.exp + CLOCK_SKEW_SECONDS);
    expect(await introspect(token, client)).toStrictEqual({ active: false });
  });

  it("accepts HTTP Basic client authentication", async () => {
    const client = await createApplicationKey();
    const token = await tokenFor(client);
    const res = await post(REVOKE, { token }, basic(client.client_id, client.client_secret));
    expect(res.status).toBe(200);
    expect(await introspect(token, client)).toStrictEqual({ active: false });
  });

  it("lets a public client revoke its own implicit token with client_id alone", async () => {
    const client = await createApplicationKey();
    const token = await tokenFor(client, "implicit");
    const res = await post(REVOKE, { token, client_id: client.client_id });
    expect(res.status).toBe(200);
    expect(await introspect(token, client)).toStrictEqual({ active: false });
  });

  it("refuses a client_credentials token revoked without the secret, and it stays active", async () => {
    const client = await createApplicationKey();
    const token = await tokenFor(client);
    const res = await post(REVOKE, { token, client_id: client.client_id });
    expect(res.status).toBe(400);
    expect(await res.json()).toStrictEqual(
      error(400, "Bad Request", "unauthorized_client", "Revoking a client_credentials token needs the client secret."),
    );
    expect((await introspect(token, client)).active).toBe(true);
  });

  it("does not let a client revoke another client's token", async () => {
    const owner = await createApplicationKey();
    const other = await createApplicationKey();
    const token = await tokenFor(owner);
    const res = await post(REVOKE, { token, ...creds(other) });
    expect(res.status).toBe(400);
    expect(await res.json()).toStrictEqual(error(400, "Bad Request", "unauthorized_client", "The token was not issued to this client."));
    expect((await introspect(token, owner)).active).toBe(true);
    expect(await revocationEntry(claimsOf(token).jti)).toStrictEqual([]);
  });

  it("answers 200 for already revoked, expired, unknown and garbage tokens, recording nothing", async () => {
    const client = await createApplicationKey();
    const token = await tokenFor(client);
    expect((await post(REVOKE, { token, ...creds(client) })).status).toBe(200);
    const revokeToken = vi.fn();
    const watched = { getByName: (name: string) => ({ revokeToken: (...a: unknown[]) => revokeToken(name, ...a) }) };
    const expired = await issueAt(client, nowSeconds() - 7200);
    for (const t of [expired.token, "garbage", "a.b.c", `${token.slice(0, -2)}xx`]) {
      const res = await post(
        REVOKE,
        { token: t, ...creds(client) },
        {},
        { REGISTRY: watched as unknown as Env["REGISTRY"], STATUS_REGIONS: watched as unknown as Env["STATUS_REGIONS"] },
      );
      expect([t, res.status, await res.text()]).toStrictEqual([t, 200, ""]);
    }
    expect(revokeToken).not.toHaveBeenCalled();
    // revoked again: the registry is asked and changes nothing
    expect(await revokeAtOwner(token)).toStrictEqual({ revoked: false });
    expect((await post(REVOKE, { token, ...creds(client) })).status).toBe(200);
    expect((await cutoffsInKv())!.tokens[expired.claims.jti]).toBeUndefined();
  });

  it("400 without token", async () => {
    const client = await createApplicationKey();
    const res = await post(REVOKE, creds(client));
    expect(res.status).toBe(400);
    expect(await res.json()).toStrictEqual(error(400, "Bad Request", "invalid_request", 'The parameter "token" is required.'));
  });

  it("401 when client authentication fails", async () => {
    const client = await createApplicationKey();
    const token = await tokenFor(client);
    const cases: [Record<string, string>, Record<string, string>][] = [
      [{ token, client_id: client.client_id, client_secret: "wrong" }, {}],
      [{ token, client_id: "0".repeat(40) }, {}],
      [{ token }, {}],
      [{ token }, basic(client.client_id, "wrong")],
    ];
    for (const [params, headers] of cases) {
      const res = await post(REVOKE, params, headers);
      expect(res.status).toBe(401);
      expect(await res.json()).toStrictEqual(error(401, "Unauthorized", "invalid_client", "Client authentication failed."));
    }
    expect((await introspect(token, client)).active).toBe(true);
  });

  it("never answers 200 when the list's owner does not hold the revocation", async () => {
    const client = await createApplicationKey();
    const token = await tokenFor(client);
    vi.spyOn(console, "log").mockImplementation(() => {});
    const res = await post(REVOKE, { token, ...creds(client) }, {}, { STATUS_REGIONS: faultyRegions(["revokeToken"], "throw") });
    expect([res.status, res.headers.get("Retry-After"), await res.json()]).toStrictEqual([
      503,
      "5",
      error(
        503,
        "Service Unavailable",
        "temporarily_unavailable",
        "The service cannot complete this request at the moment: try again shortly.",
      ),
    ]);
    expect((await introspect(token, client)).active).toBe(true);
    expect(await bitInKv(token)).toBe(0);
  });

  it("a token this isolate revoked is revoked again without asking its list's owner: a repeat costs no Durable Object request", async () => {
    const client = await createApplicationKey();
    const token = await tokenFor(client);
    expect((await post(REVOKE, { token, ...creds(client) })).status).toBe(200);
    const res = await post(REVOKE, { token, ...creds(client) }, {}, { STATUS_REGIONS: faultyRegions(["revokeToken"], "throw") });
    expect([res.status, await res.text()]).toStrictEqual([200, ""]);
  });

  it("a revocation KV refuses is held by the list's owner, answered 200, refused here at once, and written by the alarm", async () => {
    const client = await createApplicationKey();
    const token = await tokenFor(client);
    vi.spyOn(console, "error").mockImplementation(() => {});
    const owner = env.STATUS_REGIONS.getByName(ownerOf(listOf(token))!.region!);
    const registryEnv = (e: Env) =>
      runInDurableObject(owner, (instance) => {
        (instance as unknown as { env: Env }).env = e;
      });
    await registryEnv({ ...env, REVOCATIONS: faulty(env.REVOCATIONS, ["put"], "throw"), KV_TIMEOUT_MS: "50" } as Env);
    try {
      expect((await post(REVOKE, { token, ...creds(client) })).status).toBe(200);
      expect(await bitInKv(token)).toBe(0); // KV does not have it…
      const here = new TokenVerifier(createExecutionContext(), env);
      expect(await here.verify(token, { method: "GET" })).toStrictEqual({ valid: false, status: 401, error: "revoked" }); // …this isolate knows
    } finally {
      await registryEnv(env as Env);
    }
    expect(await runDurableObjectAlarm(owner)).toBe(true);
    expect(await bitInKv(token)).toBe(1);
  });
});

describe("POST /oauth/revoke by the token's bearer (no client credentials)", () => {
  it("revokes the bearer's own admin token: 200, inactive at introspection, refused by the admin API", async () => {
    const admin = await createAdmin();
    const other = await createApplicationKey();
    const token = await tokenFor(admin);
    const keys = () => call("/v2/application-keys", { headers: bearer(token) });
    expect((await keys()).status).toBe(200);

    const res = await post(REVOKE, { token }, bearer(token));
    expect([res.status, await res.text(), res.headers.get("Cache-Control")]).toStrictEqual([200, "", "no-store"]);

    // Any confidential client may introspect: another key's credentials.
    expect(await introspect(token, other)).toStrictEqual({ active: false });
    expect(await bitInKv(token)).toBe(1);
    const refused = await keys();
    expect(refused.status).toBe(401);
    expect(await refused.json()).toStrictEqual(
      error(401, "Unauthorized", "invalid_token", "The access token is missing, invalid, expired or revoked."),
    );
  });

  it("revokes the bearer's own implicit token", async () => {
    const client = await createApplicationKey();
    const token = await tokenFor(client, "implicit");
    expect((await post(REVOKE, { token, token_type_hint: "access_token" }, bearer(token))).status).toBe(200);
    expect(await introspect(token, client)).toStrictEqual({ active: false });
  });

  it("revokes a DPoP-bound token presented as Bearer, without a proof: revoking only takes rights away", async () => {
    const client = await createApplicationKey();
    const k = await clientKey();
    const issued = await post(
      "/oauth/access_token",
      { grant_type: "client_credentials", ...creds(client) },
      { DPoP: await proof(k, "POST", `${ORIGIN}/oauth/access_token`) },
    );
    const { access_token: token } = (await issued.json()) as { access_token: string };
    expect(claimsOf(token).cnf?.jkt).toBeDefined();
    expect((await post(REVOKE, { token }, bearer(token))).status).toBe(200);
    expect(await introspect(token, client)).toStrictEqual({ active: false });
  });

  it("400 when the form's token is not the Bearer token, and neither is revoked", async () => {
    const client = await createApplicationKey();
    const mine = await tokenFor(client);
    const theirs = await tokenFor(await createApplicationKey());
    const res = await post(REVOKE, { token: theirs }, bearer(mine));
    expect(res.status).toBe(400);
    expect(await res.json()).toStrictEqual(
      error(400, "Bad Request", "invalid_request", 'The parameter "token" must be the Bearer token: a bearer revokes its own token only.'),
    );
    expect((await introspect(mine, client)).active).toBe(true);
    expect((await introspect(theirs, client)).active).toBe(true);
  });

  it("400 without token, and 400 for a Bearer token beside client credentials", async () => {
    const client = await createApplicationKey();
    const token = await tokenFor(client);
    const missing = await post(REVOKE, {}, bearer(token));
    expect([missing.status, await missing.json()]).toStrictEqual([
      400,
      error(400, "Bad Request", "invalid_request", 'The parameter "token" is required.'),
    ]);
    for (const params of [creds(client), { client_id: client.client_id }]) {
      const res = await post(REVOKE, { token, ...params }, bearer(token));
      expect([res.status, await res.json()]).toStrictEqual([
        400,
        error(400, "Bad Request", "invalid_request", "Send either client credentials or a Bearer token, not both."),
      ]);
    }
    expect((await introspect(token, client)).active).toBe(true);
  });

  it("answers 200 for a garbage, forged or expired bearer token, revoking nothing", async () => {
    const client = await createApplicationKey();
    const live = await tokenFor(client);
    const expired = await issueAt(client, nowSeconds() - 7200);
    const revokeToken = vi.fn();
    const watched = { getByName: (name: string) => ({ revokeToken: (...a: unknown[]) => revokeToken(name, ...a) }) };
    for (const t of ["garbage", "a.b.c", `${live.slice(0, -2)}xx`, expired.token]) {
      const res = await post(REVOKE, { token: t }, bearer(t), {
        REGISTRY: watched as unknown as Env["REGISTRY"],
        STATUS_REGIONS: watched as unknown as Env["STATUS_REGIONS"],
      });
      expect([t, res.status, await res.text()]).toStrictEqual([t, 200, ""]);
    }
    expect(revokeToken).not.toHaveBeenCalled();
    expect((await introspect(live, client)).active).toBe(true);
  });
});

describe("POST /oauth/revoke is limited (issue 32): the public per address, a confidential client per client_id", () => {
  const tooMany = (detail: string) => error(429, "Too Many Requests", "rate_limited", detail);

  it("a storm from one address with a public client_id meets 429 with Retry-After; a backend revoking its own tokens from the same address does not", async () => {
    await inOneWindow(async () => {
      const storefront = await createApplicationKey("storefront under a storm", { scope: "read" });
      const backend = await createApplicationKey("backend beside the storm");
      const ip = randomIp();
      const from = { "CF-Connecting-IP": ip };
      const statuses: number[] = [];
      for (let i = 0; i < 30; i++)
        statuses.push((await post(REVOKE, { token: `garbage-${i}`, client_id: storefront.client_id }, from)).status);
      expect(statuses).toStrictEqual(Array(30).fill(200));
      const limited = await post(REVOKE, { token: "one more", client_id: storefront.client_id }, from);
      expect([limited.status, limited.headers.get("Retry-After"), await limited.json()]).toStrictEqual([
        429,
        "60",
        tooMany("Too many revocations from this address; try again later."),
      ]);
      // a bearer's own revocation proves no client: counted per address too
      const held = await tokenFor(storefront, "implicit");
      expect((await post(REVOKE, { token: held }, { ...from, ...bearer(held) })).status).toBe(429);
      // the backend's bucket is its own
      const own = await tokenFor(backend);
      expect((await post(REVOKE, { token: own, ...creds(backend) }, from)).status).toBe(200);
      expect(await introspect(own, backend)).toStrictEqual({ active: false });
      // and another address is not limited by this one
      expect((await post(REVOKE, { token: held, client_id: storefront.client_id }, { "CF-Connecting-IP": randomIp() })).status).toBe(200);
    });
  });

  it("a confidential client over its own limit meets 429; another client's revocations pass", async () => {
    await inOneWindow(async () => {
      const busy = await createApplicationKey("busy revoker");
      const other = await createApplicationKey("quiet revoker");
      const results = await Promise.all(
        Array.from({ length: 601 }, (_, i) => post(REVOKE, { token: `garbage-${i}`, ...creds(busy) }).then((r) => r.status)),
      );
      expect([results.filter((s) => s === 200).length, results.filter((s) => s === 429).length]).toStrictEqual([600, 1]);
      const res = await post(REVOKE, { token: "x", ...creds(busy) });
      expect([res.status, res.status === 429 ? await res.json() : await res.text()]).toStrictEqual([
        429,
        tooMany("Too many revocations for this client; try again later."),
      ]);
      expect((await post(REVOKE, { token: "x", ...creds(other) })).status).toBe(200);
    });
  });
});
