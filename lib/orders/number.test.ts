import { expect, test } from "vitest";
import { fixedClock } from "@/lib/dev/testing/clock";
import { newOrderNo } from "./number";
import { ORDER_NO_PATTERN } from "@/tests/helpers/orders";

test("order numbers start with R and the Beijing date", () => {
  expect(newOrderNo(fixedClock("2026-11-24T16:30:00Z"))).toMatch(/^R20261125[0-9A-Z]{10}$/);
  expect(newOrderNo(fixedClock("2026-11-24T15:59:59Z"))).toMatch(/^R20261124/);
});

test("order numbers are unguessable: 10,000 of one day are all different", () => {
  const clock = fixedClock("2026-11-25T02:00:00Z");
  const numbers = Array.from({ length: 10_000 }, () => newOrderNo(clock));
  expect(new Set(numbers).size).toBe(numbers.length);
  for (const n of numbers.slice(0, 100)) expect(n).toMatch(ORDER_NO_PATTERN);
});

test("order numbers sort by day", () => {
  const a = newOrderNo(fixedClock("2026-11-25T02:00:00Z"));
  const b = newOrderNo(fixedClock("2026-11-26T02:00:00Z"));
  const c = newOrderNo(fixedClock("2027-01-01T02:00:00Z"));
  expect([c, a, b].sort()).toEqual([a, b, c]);
});
