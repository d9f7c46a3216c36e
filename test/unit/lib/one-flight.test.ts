import { describe, expect, it } from "vitest";
import { OneFlight } from "../../../src/lib/one-flight.ts";

function gated() {
  let open = () => {};
  const promise = new Promise<void>((resolve) => {
    open = resolve;
  });
  return { promise, resolve: () => open() };
}

describe("OneFlight", () => {
  it("runs one task per key at a time; callers that arrive meanwhile wait for it and run nothing", async () => {
    const flight = new OneFlight();
    const ran: string[] = [];
    const gate = gated();
    const first = flight.run("a", async () => {
      ran.push("a1");
      await gate.promise;
    });
    const waiters = [flight.run("a", async () => void ran.push("a2")), flight.run("a", async () => void ran.push("a3"))];
    const other = flight.run("b", async () => void ran.push("b1"));
    expect([flight.busy("a"), flight.busy("b"), flight.busy("c")]).toStrictEqual([true, true, false]);
    await other;
    gate.resolve();
    await Promise.all([first, ...waiters]);
    expect(ran).toStrictEqual(["a1", "b1"]);
    expect(flight.busy("a")).toBe(false);
    // The next call after it ended runs again.
    await flight.run("a", async () => void ran.push("a4"));
    expect(ran).toStrictEqual(["a1", "b1", "a4"]);
  });

  it("throws the task's error to the caller that ran it and to every caller that waited", async () => {
    const flight = new OneFlight();
    const gate = gated();
    const failure = new Error("ledger unavailable");
    const runs = [
      flight.run("a", async () => {
        await gate.promise;
        throw failure;
      }),
      flight.run("a", async () => {}),
    ];
    gate.resolve();
    const settled = await Promise.allSettled(runs);
    expect(settled).toStrictEqual([
      { status: "rejected", reason: failure },
      { status: "rejected", reason: failure },
    ]);
    expect(flight.busy("a")).toBe(false);
  });
});
