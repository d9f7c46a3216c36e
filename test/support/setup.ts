import { afterAll, expect } from "vitest";
import { violations } from "./contract.ts";

// After each test file: every response it received is one the OpenAPI document describes.
afterAll(async () => {
  expect(await violations()).toStrictEqual([]);
});
