import { describe, expect, test } from "vitest";
import type { OrderState } from "@/lib/generated/prisma/client";
import { ORDER_STATES, RELEASES_CERTIFICATE, canTransition } from "./machine";

// every legal move, written out independently of TRANSITIONS: [from, to, which orders]
const LEGAL: [OrderState, OrderState, "any" | "priced" | "free"][] = [
  ["draft", "submitted", "any"],
  ["draft", "cancelled", "any"],
  ["submitted", "awaiting_payment", "priced"],
  ["submitted", "issuing", "free"],
  ["submitted", "cancelled", "any"],
  ["awaiting_payment", "paid", "any"],
  ["awaiting_payment", "expired", "any"],
  ["awaiting_payment", "cancelled", "any"],
  ["paid", "issuing", "any"],
  ["paid", "refund_pending", "priced"],
  ["issuing", "issued", "any"],
  ["issuing", "paid", "priced"],
  ["issuing", "submitted", "free"],
  ["issuing", "refund_pending", "priced"],
  ["issued", "installed", "any"],
  ["issued", "issuing", "any"],
  ["cancelled", "refund_pending", "priced"],
  ["expired", "refund_pending", "priced"],
  ["refund_pending", "refunded", "any"],
];

function expected(from: OrderState, to: OrderState, priceFen: number): boolean {
  const row = LEGAL.find(([f, t]) => f === from && t === to);
  if (!row) return false;
  return row[2] === "any" || (row[2] === "priced") === priceFen > 0;
}

describe("every (from, to) pair for priced and free orders", () => {
  const pairs = ORDER_STATES.flatMap((from) =>
    ORDER_STATES.flatMap((to) => [5000, 0].map((priceFen) => [from, to, priceFen] as const)),
  );
  test.each(pairs)("%s → %s (priceFen %i)", (from, to, priceFen) => {
    expect(canTransition({ state: from, priceFen }, to)).toBe(expected(from, to, priceFen));
  });
});

test("installed and refunded are final", () => {
  for (const to of ORDER_STATES) {
    expect(canTransition({ state: "installed", priceFen: 5000 }, to)).toBe(false);
    expect(canTransition({ state: "refunded", priceFen: 5000 }, to)).toBe(false);
  }
});

test("unified-payment orders never enter payment states", () => {
  const reachable = new Set<OrderState>(["draft"]);
  for (let i = 0; i < ORDER_STATES.length; i++) {
    for (const from of [...reachable])
      for (const to of ORDER_STATES) if (canTransition({ state: from, priceFen: 0 }, to)) reachable.add(to);
  }
  expect([...reachable].sort()).toEqual(["cancelled", "draft", "installed", "issued", "issuing", "submitted"]);
});

test("the certificate is freed exactly when an order can no longer reach a certificate", () => {
  expect([...RELEASES_CERTIFICATE].sort()).toEqual(["cancelled", "expired", "installed", "refunded"]);
});
