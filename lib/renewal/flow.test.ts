import { describe, expect, it } from "vitest";
import type { OrderState } from "../generated/prisma/client";
import { stepFor, type WizardStep } from "./flow";

describe("the wizard resumes an order at its step", () => {
  const cases: [OrderState, number, boolean, WizardStep][] = [
    ["draft", 10000, false, "review"],
    ["submitted", 0, false, "issue"],
    ["submitted", 10000, false, "pay"],
    ["awaiting_payment", 10000, false, "pay"],
    ["paid", 10000, false, "invoice"],
    ["paid", 10000, true, "issue"],
    ["issuing", 0, false, "issue"],
    ["issued", 5000, false, "issue"],
    ["installed", 5000, false, "done"],
    ["refund_pending", 5000, false, "refund"],
    ["refunded", 5000, false, "refund"],
    ["cancelled", 5000, false, "handler"],
    ["expired", 5000, false, "handler"],
  ];
  it.each(cases)("%s (price %i fen, invoice done %s) → %s", (state, priceFen, invoiceDone, step) => {
    expect(stepFor({ state, priceFen }, { invoiceDone })).toBe(step);
  });

  it("starts at the handler form without an order", () => {
    expect(stepFor(null)).toBe("handler");
  });
});
