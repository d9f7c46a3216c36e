import { describe, expect, it } from "vitest";
import { callerAddress } from "../../../src/auth/address.ts";

const of = (ip: string | undefined) =>
  callerAddress(new Request("https://auth.example/", ip === undefined ? {} : { headers: { "CF-Connecting-IP": ip } }));

describe("callerAddress", () => {
  it("keeps IPv4, reduces IPv6 to its /64, and puts everything else in one bucket", () => {
    const cases: [string | undefined, string][] = [
      ["192.0.2.1", "192.0.2.1"],
      ["255.255.255.255", "255.255.255.255"],
      ["2001:db8:a:b::1", "2001:db8:a:b::/64"],
      ["2001:db8:a:b:ffff:1:2:3", "2001:db8:a:b::/64"],
      ["2001:0DB8:000a:000B:0:0:0:abcd", "2001:db8:a:b::/64"], // one prefix, however it is written
      ["2001:db8::", "2001:db8:0:0::/64"],
      ["::1", "0:0:0:0::/64"],
      ["::ffff:192.0.2.1", "192.0.2.1"], // IPv4-mapped: that IPv4 caller
      ["64:ff9b::192.0.2.1", "64:ff9b:0:0::/64"],
      [undefined, "unknown"],
      ["", "unknown"],
      ["256.0.0.1", "unknown"],
      ["01.2.3.4", "unknown"],
      ["1.2.3", "unknown"],
      ["fe80::1%eth0", "unknown"],
      ["1::2::3", "unknown"],
      ["1:2:3:4:5:6:7", "unknown"],
      ["1:2:3:4:5:6:7:8:9", "unknown"],
      ["12345::1", "unknown"],
      ["::ffff:999.0.0.1", "unknown"],
      [`2001:db8::${"1:".repeat(40)}1`, "unknown"],
      ["not an address", "unknown"],
    ];
    for (const [ip, key] of cases) expect([ip, of(ip)]).toStrictEqual([ip, key]);
  });
});
