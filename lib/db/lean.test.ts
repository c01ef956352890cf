import { expect, test, vi } from "vitest";
import type { Lean } from "./lean";

test("a client's lean runner is known to every copy of the module (the portal loads lib/ twice: Next and the front)", async () => {
  const first = await import("./lean");
  vi.resetModules();
  const second = await import("./lean");
  expect(second).not.toBe(first);
  const client = {};
  const runner: Lean = { rows: async () => [], transaction: (fn) => fn({} as never) };
  first.attachLean(client, runner);
  expect(second.leanOf(client)).toBe(runner);
  expect(second.leanOf({})).toBeUndefined();
});
