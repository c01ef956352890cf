import "@/tests/helpers/env";
import { envPayments } from "@/tests/helpers/payments";
import { beforeAll, describe, expect, test } from "vitest";
import { tradeNoOf, useHarness } from "../payments/harness";
import { HOLDER, draftOrder, holderCancels, insertCertificate } from "@/tests/helpers/orders";
import { DomainError } from "@/lib/errors";
import { ensureDefaultFeeTiers } from "@/lib/fees/tiers";
import { submitOrder } from "@/lib/renewal/create-order";
import { startPayment } from "@/lib/payments/alipay/precreate";
import { payTrade, scanTrade } from "@/lib/dev/alipay-sandbox/trades";

const harness = useHarness();

beforeAll(async () => {
  const h = harness();
  await ensureDefaultFeeTiers(h.db, h.clock);
});

/** A self-paying order awaiting payment, its certificate expiring in 15 days. */
async function awaitingPayment() {
  const { db, clock } = harness();
  const cert = await insertCertificate(db, { notAfter: new Date(clock.now().getTime() + 15 * 86_400_000) });
  const order = await draftOrder(db, cert, clock);
  return submitOrder(db, { orderId: order.id, actor: HOLDER, clock });
}

describe("取消申请 of an order awaiting payment (Alipay emulator)", () => {
  test("before the QR code was ever opened: nothing to close, the order is cancelled", async () => {
    const { db, clock } = harness();
    const order = await awaitingPayment();
    const cancelled = await holderCancels(db, order.id, clock);
    expect(cancelled).toMatchObject({ state: "cancelled", openCertificateId: null });
  });

  test("with a scanned, unpaid trade: the trade is closed first, then the order cancelled", async () => {
    const { db, clock, env } = harness();
    const order = await awaitingPayment();
    const start = await startPayment(db, envPayments, { orderId: order.id, clock });
    await scanTrade(env, tradeNoOf(start.qrCode));
    const cancelled = await holderCancels(db, order.id, clock);
    expect(cancelled.state).toBe("cancelled");
    expect(await db.paymentEvent.count({ where: { orderId: order.id, kind: "close", outcome: "closed" } })).toBe(1);
  });

  test("refuses to cancel when the holder already paid, and the payment is recorded", async () => {
    const { db, clock, env } = harness();
    const order = await awaitingPayment();
    const start = await startPayment(db, envPayments, { orderId: order.id, clock });
    await payTrade(env, tradeNoOf(start.qrCode));
    const err = await holderCancels(db, order.id, clock).catch((e: unknown) => e);
    expect(err).toBeInstanceOf(DomainError);
    expect((err as DomainError).code).toBe("ORDER_ALREADY_PAID");
    expect((await db.renewalOrder.findUniqueOrThrow({ where: { id: order.id } })).state).toBe("paid");
  });
});
