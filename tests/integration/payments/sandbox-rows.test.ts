import "@/tests/helpers/env";
import { envPayments } from "@/tests/helpers/payments";
import { afterEach, beforeAll, describe, expect, it } from "vitest";
import { selectRows } from "@/lib/db/lean";
import { startPayment } from "@/lib/payments/alipay/precreate";
import { payTrade } from "@/lib/dev/alipay-sandbox/trades";
import { insertOrder, tradeNoOf, useHarness, type Harness } from "./harness";

/**
 * The emulator keeps its trades and notifications with plain SQL (lib/db/lean.ts): what it writes and reads back is
 * the row Prisma reads, on the process client and inside its transactions, with the process far from UTC.
 */
const harness = useHarness();
let h: Harness;
beforeAll(() => {
  h = harness();
});
const zone = process.env.TZ;
afterEach(() => {
  if (zone === undefined) delete process.env.TZ;
  else process.env.TZ = zone;
});

describe("the emulator's rows", () => {
  it("a trade precreated, scanned and paid is the row Prisma reads, and so is its queued notification", async () => {
    process.env.TZ = "America/New_York";
    const order = await insertOrder(h.db, h.clock);
    const start = await startPayment(h.db, envPayments, { orderId: order.id, clock: h.clock });
    const tradeNo = tradeNoOf(start.qrCode);

    const created = await h.db.sandboxTrade.findUniqueOrThrow({ where: { tradeNo } });
    expect(created).toMatchObject({
      outTradeNo: order.orderNo,
      totalFen: order.priceFen,
      status: "WAIT_BUYER_PAY",
      scannedAt: null,
      refunds: [],
      faults: {},
    });
    expect(created.createdAt.toISOString()).toBe(h.clock.now().toISOString());
    expect(created.timeoutAt.getTime()).toBeGreaterThan(h.clock.now().getTime());

    // paid inside the emulator's transaction: the row its UPDATE … RETURNING gave is the row Prisma reads after
    const paid = await payTrade(h.env, tradeNo);
    const viaPrisma = await h.db.sandboxTrade.findUniqueOrThrow({ where: { tradeNo } });
    expect(paid).toEqual(viaPrisma);
    expect(viaPrisma.status).toBe("TRADE_SUCCESS");
    expect(viaPrisma.paidAt?.toISOString()).toBe(h.clock.now().toISOString());
    expect(viaPrisma.scannedAt?.toISOString()).toBe(h.clock.now().toISOString());
    expect(await selectRows(h.db, "SandboxTrade", `WHERE "tradeNo" = $1`, [tradeNo])).toEqual([viaPrisma]);

    const notifies = await h.db.sandboxNotify.findMany({ where: { tradeNo } });
    expect(notifies).toHaveLength(1);
    expect(notifies[0]).toMatchObject({ state: "pending", attempts: 0, url: expect.stringContaining("/notify") });
    expect(notifies[0].params).toMatchObject({ trade_no: tradeNo, out_trade_no: order.orderNo });
    expect(notifies[0].nextAttemptAt.toISOString()).toBe(h.clock.now().toISOString());
    expect(await selectRows(h.db, "SandboxNotify", `WHERE "tradeNo" = $1`, [tradeNo])).toEqual(notifies);

    // delivered: claimed, posted, and marked with the merchant's answer
    expect(await h.deliver()).toEqual({ delivered: 1, failed: 0 });
    const delivered = await h.db.sandboxNotify.findUniqueOrThrow({ where: { id: notifies[0].id } });
    expect(delivered).toMatchObject({ state: "delivered", attempts: 1, lastResult: "success" });
    expect(delivered.nextAttemptAt.getTime()).toBeGreaterThan(notifies[0].nextAttemptAt.getTime());
    expect((await h.db.renewalOrder.findUniqueOrThrow({ where: { id: order.id } })).state).toBe("paid");
  });

  it("paying a trade twice is refused with the status it has, and queues nothing more", async () => {
    const order = await insertOrder(h.db, h.clock);
    const start = await startPayment(h.db, envPayments, { orderId: order.id, clock: h.clock });
    const tradeNo = tradeNoOf(start.qrCode);
    await payTrade(h.env, tradeNo);
    await expect(payTrade(h.env, tradeNo)).rejects.toMatchObject({
      code: "SANDBOX_TRADE_NOT_PAYABLE",
      details: { status: "TRADE_SUCCESS" },
    });
    expect(await h.db.sandboxNotify.count({ where: { tradeNo } })).toBe(1);
  });
});
