import "@/tests/helpers/env";
import { envPayments } from "@/tests/helpers/payments";
import { beforeAll, describe, expect, it } from "vitest";
import { FORGED_NOTIFY_SAMPLE, handleNotify } from "@/lib/payments/alipay/notify";
import { insertOrder, type Harness, useHarness } from "@/tests/integration/payments/harness";

/** Issue 21 item 14: forged notifications are stored sampled and rate-limited, not every one. */

const harness = useHarness();
let h: Harness;
beforeAll(() => {
  h = harness();
});

describe("forged Alipay notifications (item 14)", () => {
  it("a flood of unsigned notifications leaves a sample, not a row each, and every one is refused", async () => {
    const order = await insertOrder(h.db, h.clock);
    const answers: string[] = [];
    for (let i = 0; i < 60; i++)
      answers.push(
        await handleNotify(
          h.db,
          envPayments,
          {
            out_trade_no: order.orderNo,
            trade_status: "TRADE_SUCCESS",
            total_amount: "100.00",
            trade_no: `2026${i}`,
            sign: "Zm9yZ2Vk",
            sign_type: "RSA2",
          },
          h.clock,
        ),
      );
    expect(new Set(answers)).toEqual(new Set(["fail"]));
    const stored = await h.db.paymentEvent.count({ where: { outcome: { startsWith: "rejected" } } });
    expect(stored).toBeGreaterThan(0);
    expect(stored).toBeLessThanOrEqual(FORGED_NOTIFY_SAMPLE.max);
    expect((await h.db.renewalOrder.findUniqueOrThrow({ where: { id: order.id } })).state).toBe(order.state);
  });
});
