import { describe, expect, it } from "vitest";
import { KEY_AUDIT_ACTIONS, keyAuditLines, namesOf, signingAuditLines } from "../../src/cli/audit-text.ts";
import type { ApplicationKey } from "../../src/store/application-keys.ts";
import type { AuditRecord, AuditSnapshot, SigningKeyEvent } from "../../src/store/registry-protocol.ts";

/**
 * The audit trails in words (src/console/audit-words.ts): the text the console's script runs in
 * the browser, run here as `npm run keys -- audit` runs it. Who acted is a key's name where the
 * keys listed know it, quoted, "command line", "schedule"; a change is "field: before → after".
 */
const OPERATOR = "9d54ad2c7b3a41cbd74a1a99d89bc37f50f520e1";
const GONE = "3768609cd69daa07a1a1a1a1a1a1a1a1a1a1a1a1";
const SHOP = "01a23d5a-ec5a-76ff-83fc-db136e1fa79d";
const listed = [
  { id: "01a23d5a-f3fc-765a-9564-15a9caeccebe", client_id: OPERATOR, name: "operator" },
  { id: SHOP, client_id: "c62f22ae92d76a5f1d04c18e2d563cad8a94d8e1", name: "Shop backend" },
] as ApplicationKey[];
const names = namesOf(listed);

const snapshot = (o: Partial<AuditSnapshot> = {}): AuditSnapshot => ({
  name: "Shop backend",
  scope: "read write",
  grant_types: ["client_credentials"],
  token_endpoint_auth_method: "client_secret_basic",
  dpop_bound_access_tokens: false,
  ...o,
});
let seq = 0;
const entry = (e: Partial<AuditRecord>): AuditRecord => ({
  seq: ++seq,
  at: "2026-12-03T19:21:05.123Z",
  actor: OPERATOR,
  action: "update",
  key_id: SHOP,
  old: snapshot(),
  new: snapshot(),
  ...e,
});
const line = (e: Partial<AuditRecord>, n = names) => keyAuditLines([entry(e)], n)[0];

describe("the key audit trail in words", () => {
  it("names the key and the actor, ids beside them, and says what changed as before → after", () => {
    expect(line({ new: snapshot({ scope: "read" }) })).toBe(
      `2026-12-03 19:21:05 UTC · “Shop backend” (${SHOP}) changed by “operator” (${OPERATOR}) · scope: read write → read`,
    );
    expect(
      line({
        new: snapshot({
          grant_types: ["client_credentials", "implicit"],
          token_quota: { per_hour: 50, per_day: 1000 },
          implicit_quota: { per_day: 5000 },
          dpop_bound_access_tokens: true,
        }),
        old: snapshot({ token_quota: { per_hour: 100 } }),
      }),
    ).toBe(
      `2026-12-03 19:21:05 UTC · “Shop backend” (${SHOP}) changed by “operator” (${OPERATOR}) · grant types: client_credentials → client_credentials, implicit; quota: 100 an hour → 50 an hour, 1000 a day; implicit quota: none → 5000 a day; DPoP-bound: no → yes`,
    );
    expect(
      line({
        old: snapshot({ token_endpoint_auth_method: "private_key_jwt", jwks_kids: ["billing-1"] }),
        new: snapshot({ token_endpoint_auth_method: "private_key_jwt", jwks_kids: ["billing-1", "billing-2"] }),
      }),
    ).toContain("· public keys: billing-1 → billing-1, billing-2");
    expect(line({ action: "rename", old: snapshot({ name: "Shop" }) })).toContain("“Shop backend” (");
    expect(line({ action: "rename", old: snapshot({ name: "Shop" }) })).toMatch(
      /renamed by “operator” \(\w+\) · name: “Shop” → “Shop backend”$/,
    );
  });

  it("says a new key's attributes as it was made, and a deletion's consequence", () => {
    expect(line({ action: "create", actor: "cli", old: null })).toBe(
      `2026-12-03 19:21:05 UTC · “Shop backend” (${SHOP}) created by command line · scope: read write; grant types: client_credentials`,
    );
    expect(
      line({
        action: "create",
        actor: "bootstrap",
        old: null,
        new: snapshot({
          token_endpoint_auth_method: "private_key_jwt",
          jwks_kids: ["k1"],
          dpop_bound_access_tokens: true,
          token_quota: { per_hour: 5 },
        }),
      }),
    ).toContain(
      "created by deployment bootstrap · scope: read write; grant types: client_credentials; quota: 5 an hour; auth method: private_key_jwt; public keys: k1; DPoP-bound: yes",
    );
    expect(line({ action: "delete", new: null })).toContain("deleted by “operator”");
    expect(line({ action: "delete", new: null })).toMatch(/ · every token it held revoked$/);
  });

  it("a deleted key by the name its entry kept; an actor no longer listed as a deleted key, its client_id beside", () => {
    const gone = "01a23d5a-0000-7000-8000-000000000000";
    expect(line({ key_id: gone, actor: GONE, old: snapshot({ name: "Old feed" }), new: null, action: "delete" })).toBe(
      `2026-12-03 19:21:05 UTC · “Old feed” (${gone}) deleted by a deleted key (${GONE}) · every token it held revoked`,
    );
    // Without a list (a remote key that cannot read it), the names are the entries' own and the actor only "a key".
    expect(line({ actor: GONE }, namesOf(undefined))).toContain(`“Shop backend” (${SHOP}) changed by a key (${GONE})`);
  });

  it("a secret rotation: until when the old secret lives, or that it stopped and the tokens went", () => {
    const kept = snapshot({ previous_secret_expires_at: "2026-12-04T19:21:05.123Z" });
    expect(line({ action: "rotate_secret", new: kept })).toMatch(
      / given a new secret by “operator” \(\w+\) · the old secret works until 2026-12-04 19:21:05 UTC$/,
    );
    const ended = snapshot({ previous_secret_expires_at: "2026-12-03T19:21:05.123Z" });
    expect(line({ action: "rotate_secret", new: ended })).toMatch(
      / given a new secret by “operator” \(\w+\) · the old secret stopped at once; every token it held revoked$/,
    );
    // An overlap still running is not a change of a later update.
    expect(line({ old: kept, new: snapshot({ ...kept, name: "Shop backend" }) })).toMatch(/changed by “operator” \(\w+\)$/);
  });

  it("knows every action the registry records", () => {
    expect(KEY_AUDIT_ACTIONS).toStrictEqual(["create", "rename", "update", "rotate_secret", "delete"]);
  });

  it("a name a key was renamed to since: the entry says the name it kept beside the name now", () => {
    expect(line({ old: snapshot({ name: "Shop" }), new: snapshot({ name: "Shop", scope: "read" }) })).toBe(
      `2026-12-03 19:21:05 UTC · “Shop backend” (${SHOP}, named “Shop” in this entry) changed by “operator” (${OPERATOR}) · scope: read write → read`,
    );
  });
});

/** Every code point that moves a terminal's cursor, hides text or turns a line around: none may reach the output as itself. */
// biome-ignore lint/suspicious/noControlCharactersInRegex: control characters are what this looks for
const UNPRINTABLE = /[\u0000-\u001f\u007f-\u009f\u061c\u200e\u200f\u2028\u2029\u202a-\u202e\u2066-\u2069]/;

describe("a key's name cannot falsify the trail (anyone who may rename a key chooses it)", () => {
  const renamed = (name: string, as = OPERATOR) =>
    namesOf([
      { id: "01a23d5a-f3fc-765a-9564-15a9caeccebe", client_id: as, name },
      { id: SHOP, client_id: "c62f22ae92d76a5f1d04c18e2d563cad8a94d8e1", name: "Shop backend" },
    ] as ApplicationKey[]);

  it("a terminal's escapes (C0, C1, DEL) in a name are written out, not sent to the terminal", () => {
    // Erase the line, go back to its start, print a reassuring line in green, conceal what follows.
    const name = "Payments\u001b[2K\r\u001b[32m2026-12-03 19:21:05 UTC · all good\u001b[8m\u009b2J\u007f\u0000";
    const said = line({ new: snapshot({ scope: "read" }) }, renamed(name));
    expect(said).not.toMatch(UNPRINTABLE);
    expect(said).toBe(
      `2026-12-03 19:21:05 UTC · “Shop backend” (${SHOP}) changed by “Payments\\u001B[2K\\u000D\\u001B[32m2026-12-03 19:21:05 UTC · all good\\u001B[8m\\u009B2J\\u007F\\u0000” (${OPERATOR}) · scope: read write → read`,
    );
    // The key's own name, and a rename's before and after, the same.
    const renaming = line(
      { action: "rename", old: snapshot({ name: "Shop\u001b]0;title\u0007" }), new: snapshot({ name: name }) },
      namesOf([{ id: SHOP, client_id: OPERATOR, name }] as ApplicationKey[]),
    );
    expect(renaming).not.toMatch(UNPRINTABLE);
    expect(renaming).toContain("· name: “Shop\\u001B]0;title\\u0007” → “Payments\\u001B[2K");
  });

  it("bidi controls in a name are written out: the rest of the line reads as it is", () => {
    for (const c of [
      "\u202a",
      "\u202b",
      "\u202c",
      "\u202d",
      "\u202e",
      "\u2066",
      "\u2067",
      "\u2068",
      "\u2069",
      "\u200e",
      "\u200f",
      "\u061c",
      "\u2028",
    ]) {
      const said = line({ new: snapshot({ scope: "read" }) }, renamed(`Payments${c} by command line`));
      expect(said).not.toMatch(UNPRINTABLE);
      expect(said).toContain(
        `changed by “Payments\\u${c.codePointAt(0)!.toString(16).toUpperCase().padStart(4, "0")} by command line” (${OPERATOR})`,
      );
    }
    expect(
      signingAuditLines(
        [{ seq: 1, at: "2026-12-03T19:21:05.123Z", actor: OPERATOR, action: "publish", kid: "k\u202e1", from: null, to: "next" }],
        renamed("ops\u202e"),
      ),
    ).toStrictEqual([`2026-12-03 19:21:05 UTC · signing key k\\u202E1 published by “ops\\u202E” (${OPERATOR}) · state: new → next`]);
  });

  it("a key named as the service's own words reads as a key, quoted with its client_id, never as the command line or the schedule", () => {
    for (const [name, words] of [
      ["command line", "command line"],
      ["schedule", "schedule"],
      ["deployment bootstrap", "deployment bootstrap"],
      ["a deleted key", "a deleted key"],
    ]) {
      const byKey = line({ new: snapshot({ scope: "read" }) }, renamed(name!));
      expect(byKey).toContain(`changed by “${words}” (${OPERATOR}) ·`);
      expect(byKey).not.toContain(`changed by ${words} `);
    }
    expect(line({ actor: "cli", new: snapshot({ scope: "read" }) }, renamed("command line"))).toContain("changed by command line ·");
    // Its own quotes cannot close the name early: “ and ” in a name are written out.
    expect(line({ new: snapshot({ scope: "read" }) }, renamed("Shop” changed by “command line"))).toContain(
      `changed by “Shop\\u201D changed by \\u201Ccommand line” (${OPERATOR}) ·`,
    );
    // Nor can a key's own name pass for another's change: the name a rename set is quoted too.
    expect(
      line({ action: "rename", old: snapshot({ name: "A" }), new: snapshot({ name: "B → C; scope: read → admin" }) }, namesOf([])),
    ).toMatch(/ · name: “A” → “B → C; scope: read → admin”$/);
  });
});

describe("the signing keys' trail in words", () => {
  const event = (e: Partial<SigningKeyEvent>): SigningKeyEvent => ({
    seq: ++seq,
    at: "2026-12-03T19:21:05.123Z",
    actor: "schedule",
    action: "publish",
    kid: "aSI-4fQxkid",
    from: null,
    to: "next",
    ...e,
  });
  it("says which key moved from which state to which, and who moved it", () => {
    expect(
      signingAuditLines(
        [
          event({}),
          event({ action: "activate", from: "next", to: "active" }),
          event({ action: "revoke", actor: OPERATOR, from: "active", to: "retired" }),
          event({ action: "create", actor: "first use", to: "active" }),
          event({ action: "remove", actor: "cli", from: "retiring", to: "retired" }),
        ],
        names,
      ),
    ).toStrictEqual([
      "2026-12-03 19:21:05 UTC · signing key aSI-4fQxkid published by schedule · state: new → next",
      "2026-12-03 19:21:05 UTC · signing key aSI-4fQxkid made active by schedule · state: next → active",
      `2026-12-03 19:21:05 UTC · signing key aSI-4fQxkid revoked by “operator” (${OPERATOR}) · state: active → retired; every token it signed revoked`,
      "2026-12-03 19:21:05 UTC · signing key aSI-4fQxkid made by first use · state: new → active",
      "2026-12-03 19:21:05 UTC · signing key aSI-4fQxkid removed from the JWKS by command line · state: retiring → retired",
    ]);
  });
});
