import "@/tests/helpers/env";
import { envPayments } from "@/tests/helpers/payments";
import { generateKeyPairSync } from "node:crypto";
import { beforeAll, describe, expect, it } from "vitest";
import { AlipaySdk } from "alipay-sdk";
import { MINUTE } from "@/lib/clock";
import { resetConfig, getConfig } from "@/lib/config";
import { startPayment } from "@/lib/payments/alipay/precreate";
import { closeTradeBeforeCancel } from "@/lib/payments/alipay/close";
import { sweepPayments } from "@/lib/payments/alipay/query";
import { ALLOW_PARTIAL_SETTING, startRefund } from "@/lib/payments/alipay/refund";
import { alipayExec, alipayFor } from "@/lib/payments/alipay/client";
import { payTrade, scanTrade } from "@/lib/dev/alipay-sandbox/trades";
import { setSandboxFaults } from "@/lib/dev/alipay-sandbox/faults";
import { transitionOrder } from "@/lib/orders/machine";
import { insertOrder, tradeNoOf, type Harness, useHarness } from "./harness";
import { withTx } from "@/lib/audit";

const harness = useHarness();
let h: Harness;
beforeAll(() => {
  h = harness();
});

const reload = (id: string) => h.db.renewalOrder.findUniqueOrThrow({ where: { id } });
const finance = { type: "staff" as const, id: "staff-finance-1", ip: "10.0.0.1", userAgent: "test" };

async function paidOrder() {
  const order = await insertOrder(h.db, h.clock);
  const start = await startPayment(h.db, envPayments, { orderId: order.id, clock: h.clock });
  await payTrade(h.env, tradeNoOf(start.qrCode));
  await h.deliver();
  expect((await reload(order.id)).state).toBe("paid");
  return order;
}

describe("close, late payment and refunds against the local emulator", () => {
  it("closes a scanned unpaid trade before cancelling; the QR code can then no longer be paid", async () => {
    const order = await insertOrder(h.db, h.clock);
    const start = await startPayment(h.db, envPayments, { orderId: order.id, clock: h.clock });
    await scanTrade(h.env, tradeNoOf(start.qrCode));
    expect(await closeTradeBeforeCancel(h.db, envPayments, order, h.clock)).toBe("closed");
    await expect(payTrade(h.env, tradeNoOf(start.qrCode))).rejects.toMatchObject({ code: "SANDBOX_TRADE_NOT_PAYABLE" });
    expect((await reload(order.id)).state).toBe("awaiting_payment");
  });

  it("finds the payment instead of closing when the holder paid just before cancelling", async () => {
    const order = await insertOrder(h.db, h.clock);
    const start = await startPayment(h.db, envPayments, { orderId: order.id, clock: h.clock });
    await setSandboxFaults(h.db, { lost: true }, order.orderNo);
    await payTrade(h.env, tradeNoOf(start.qrCode));
    expect(await closeTradeBeforeCancel(h.db, envPayments, order, h.clock)).toBe("paid");
    expect((await reload(order.id)).state).toBe("paid");
  });

  it("answers none when nobody scanned the code: Alipay has no trade to close yet", async () => {
    const order = await insertOrder(h.db, h.clock);
    await startPayment(h.db, envPayments, { orderId: order.id, clock: h.clock });
    expect(await closeTradeBeforeCancel(h.db, envPayments, order, h.clock)).toBe("none");
  });

  it("refunds automatically and flags a payment that arrives after the order expired", async () => {
    // 4.5 minutes left: the QR trade gets timeout_express 5m, so it is still payable just after our deadline
    const order = await insertOrder(h.db, h.clock, { deadlineMs: 4.5 * MINUTE });
    const start = await startPayment(h.db, envPayments, { orderId: order.id, clock: h.clock });
    const missed = await insertOrder(h.db, h.clock, { deadlineMs: MINUTE }); // never showed a QR code
    h.clock.advance(4.5 * MINUTE + 10_000);
    const swept = await sweepPayments(h.db, envPayments, h.clock);
    expect(swept.expired).toBeGreaterThanOrEqual(2);
    expect((await reload(order.id)).state).toBe("expired");
    expect((await reload(missed.id)).state).toBe("expired");
    await payTrade(h.env, tradeNoOf(start.qrCode));
    await h.deliver();
    expect(h.answers.at(-1)).toBe("success");
    const o = await reload(order.id);
    expect([o.state, o.flagged, o.paidFen]).toEqual(["refunded", true, 10000]);
    const refunds = await h.db.refund.findMany({ where: { orderId: order.id } });
    expect(refunds.map((r) => [r.state, r.automatic, r.amountFen])).toEqual([["succeeded", true, 10000]]);
    const trade = await h.db.sandboxTrade.findUniqueOrThrow({ where: { outTradeNo: order.orderNo } });
    expect(trade.status).toBe("TRADE_CLOSED");
    expect(trade.refunds).toMatchObject([{ amountFen: 10000, outRequestNo: refunds[0].outRequestNo }]);
    expect(await h.db.mailOutbox.count({ where: { orderId: order.id, template: "refund_made" } })).toBe(1);
    // Alipay's TRADE_CLOSED notification after the full refund is recorded and changes nothing
    expect((await h.deliver()).delivered).toBe(1);
    expect((await reload(order.id)).state).toBe("refunded");
  });

  it("refunds automatically a payment made with the QR code after the order was cancelled", async () => {
    const order = await insertOrder(h.db, h.clock);
    const start = await startPayment(h.db, envPayments, { orderId: order.id, clock: h.clock });
    expect(await closeTradeBeforeCancel(h.db, envPayments, order, h.clock)).toBe("none");
    await withTx(h.db, (tx) =>
      transitionOrder(tx, { orderId: order.id, to: "cancelled", actor: { type: "holder", id: "c1" }, clock: h.clock }),
    );
    await payTrade(h.env, tradeNoOf(start.qrCode));
    await h.deliver();
    const o = await reload(order.id);
    expect([o.state, o.flagged]).toEqual(["refunded", true]);
    const audit = await h.db.auditEvent.findMany({ where: { targetId: order.id }, orderBy: { seq: "asc" } });
    expect(audit.map((a) => a.action)).toEqual([
      "payment.precreate",
      "order.cancelled",
      "payment.after_close",
      "refund.succeeded",
    ]);
  });

  it("finance refunds a paid order in full; partial refunds are refused unless policy allows them", async () => {
    const order = await paidOrder();
    await expect(
      startRefund(h.db, envPayments, {
        orderId: order.id,
        reason: "holder asked",
        actor: finance,
        clock: h.clock,
        amountFen: 3000,
      }),
    ).rejects.toMatchObject({
      code: "REFUND_PARTIAL_NOT_ALLOWED",
    });
    expect((await reload(order.id)).state).toBe("paid");
    const refund = await startRefund(h.db, envPayments, {
      orderId: order.id,
      reason: "holder asked",
      actor: finance,
      clock: h.clock,
    });
    expect([refund.state, refund.amountFen, refund.automatic, refund.requestedBy]).toEqual([
      "succeeded",
      10000,
      false,
      finance.id,
    ]);
    expect((await reload(order.id)).state).toBe("refunded");
    const audit = await h.db.auditEvent.findMany({
      where: { targetId: order.id, action: { startsWith: "refund." } },
      orderBy: { seq: "asc" },
    });
    expect(audit.map((a) => [a.action, a.actorType, a.toState])).toEqual([
      ["refund.requested", "staff", "refund_pending"],
      ["refund.succeeded", "staff", "refunded"],
    ]);
    await expect(
      startRefund(h.db, envPayments, { orderId: order.id, reason: "again", actor: finance, clock: h.clock }),
    ).rejects.toMatchObject({ code: "REFUND_NOT_ALLOWED" });
  });

  it("allows a partial refund when the policy setting says so", async () => {
    await h.db.setting.create({ data: { key: ALLOW_PARTIAL_SETTING, value: true } });
    try {
      const order = await paidOrder();
      const refund = await startRefund(h.db, envPayments, {
        orderId: order.id,
        reason: "half year",
        actor: finance,
        clock: h.clock,
        amountFen: 3000,
      });
      expect([refund.state, refund.amountFen]).toEqual(["succeeded", 3000]);
      const trade = await h.db.sandboxTrade.findUniqueOrThrow({ where: { outTradeNo: order.orderNo } });
      expect([trade.status, trade.refunds]).toMatchObject(["TRADE_SUCCESS", [{ amountFen: 3000 }]]);
      await expect(
        startRefund(h.db, envPayments, {
          orderId: (await paidOrder()).id,
          reason: "x",
          actor: finance,
          clock: h.clock,
          amountFen: 10001,
        }),
      ).rejects.toMatchObject({
        code: "REFUND_AMOUNT_INVALID",
      });
    } finally {
      await h.db.setting.delete({ where: { key: ALLOW_PARTIAL_SETTING } });
    }
  });

  it("keeps a refund pending while Alipay is unreachable and completes it on the sweep's retry", async () => {
    const order = await paidOrder();
    const gateway = process.env.ALIPAY_GATEWAY!;
    process.env.ALIPAY_GATEWAY = "http://127.0.0.1:9/gateway.do"; // discard port: nothing listens
    resetConfig();
    let refund;
    try {
      refund = await startRefund(h.db, envPayments, {
        orderId: order.id,
        reason: "holder asked",
        actor: finance,
        clock: h.clock,
      });
    } finally {
      process.env.ALIPAY_GATEWAY = gateway;
      resetConfig();
    }
    expect(refund.state).toBe("pending");
    expect((await reload(order.id)).state).toBe("refund_pending");
    h.clock.advance(MINUTE);
    await sweepPayments(h.db, envPayments, h.clock);
    expect((await h.db.refund.findUniqueOrThrow({ where: { id: refund.id } })).state).toBe("succeeded");
    expect((await reload(order.id)).state).toBe("refunded");
  });

  it("refuses to refund an order that was never paid", async () => {
    const order = await insertOrder(h.db, h.clock);
    await expect(
      startRefund(h.db, envPayments, { orderId: order.id, reason: "x", actor: finance, clock: h.clock }),
    ).rejects.toMatchObject({ code: "REFUND_NOT_ALLOWED" });
  });
});

describe("the emulator's gateway checks signatures both ways", () => {
  const strangerKey = () =>
    generateKeyPairSync("rsa", { modulusLength: 2048 }).privateKey.export({ type: "pkcs1", format: "pem" }).toString();

  it("refuses a request signed with a key that is not the app's", async () => {
    const ours = alipayFor(getConfig());
    const sdk = new AlipaySdk({
      appId: ours.appId,
      privateKey: strangerKey(),
      alipayPublicKey: h.env.identity.alipayPublicKey,
      gateway: ours.gateway,
      camelcase: false,
    });
    const r = await sdk.exec("alipay.trade.query", { bizContent: { out_trade_no: "R1" } }, { validateSign: true });
    expect([r.code, r.sub_code]).toEqual(["40002", "isv.invalid-signature"]);
  });

  it("refuses a request from another app id", async () => {
    const ours = alipayFor(getConfig());
    const sdk = new AlipaySdk({
      appId: "2021000000000000",
      privateKey: h.env.identity.appPrivateKey,
      alipayPublicKey: h.env.identity.alipayPublicKey,
      gateway: ours.gateway,
      camelcase: false,
    });
    const r = await sdk.exec("alipay.trade.query", { bizContent: { out_trade_no: "R1" } }, { validateSign: true });
    expect(r.sub_code).toBe("isv.invalid-app-id");
  });

  it("our client refuses an answer whose signature does not verify", async () => {
    const ours = alipayFor(getConfig());
    const stranger = generateKeyPairSync("rsa", { modulusLength: 2048 })
      .publicKey.export({ type: "spki", format: "pem" })
      .toString();
    const sdk = new AlipaySdk({
      appId: ours.appId,
      privateKey: h.env.identity.appPrivateKey,
      alipayPublicKey: stranger,
      gateway: ours.gateway,
      camelcase: false,
    });
    await expect(
      sdk.exec("alipay.trade.query", { bizContent: { out_trade_no: "R1" } }, { validateSign: true }),
    ).rejects.toThrow(/验签失败/);
    const r = await alipayExec(alipayFor(getConfig()), "alipay.trade.query", { out_trade_no: "R1" });
    expect(r.sub_code).toBe("ACQ.TRADE_NOT_EXIST");
  });
});
