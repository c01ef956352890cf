import "@/tests/helpers/env";
import { envPayments } from "@/tests/helpers/payments";
import { beforeAll, describe, expect, it } from "vitest";
import { verifyAuditChain } from "@/lib/audit";
import { MINUTE } from "@/lib/clock";
import { startPayment } from "@/lib/payments/alipay/precreate";
import { handleNotify } from "@/lib/payments/alipay/notify";
import type { AlipaySdk } from "alipay-sdk";
import type { PaymentDeps } from "@/lib/payments/alipay/client";
import {
  POLL_FIRST_QUERY_MS,
  POLL_QUERY_INTERVAL_MS,
  settleByPoll,
  settleByQuery,
  sweepPayments,
} from "@/lib/payments/alipay/query";
import { payTrade } from "@/lib/dev/alipay-sandbox/trades";
import { buildNotify, deliverDueNotifies, RETRY_SCHEDULE_MS } from "@/lib/dev/alipay-sandbox/notify";
import { setSandboxFaults } from "@/lib/dev/alipay-sandbox/faults";
import { paymentStatus } from "@/lib/renewal/payment-status";
import { insertOrder, tradeNoOf, TIME_FACTOR, type Harness, useHarness } from "./harness";

const harness = useHarness();
let h: Harness;
beforeAll(() => {
  h = harness();
});

async function openAndPay(faults?: Parameters<typeof setSandboxFaults>[1]) {
  const order = await insertOrder(h.db, h.clock);
  const start = await startPayment(h.db, envPayments, { orderId: order.id, clock: h.clock });
  if (faults) await setSandboxFaults(h.db, faults, order.orderNo);
  const trade = await payTrade(h.env, tradeNoOf(start.qrCode));
  return { order, start, trade };
}

/** envPayments that also notes the order number of every alipay.trade.query it sends (the sweep queries every order). */
function askedPayments(): { pay: PaymentDeps; asked: (orderNo: string) => number } {
  const sent: string[] = [];
  const pay: PaymentDeps = {
    alipay: () => {
      const a = envPayments.alipay();
      const sdk: AlipaySdk = Object.create(a.sdk);
      sdk.exec = (method, params, options) => {
        if (method === "alipay.trade.query")
          sent.push(String((params?.bizContent as { out_trade_no: string }).out_trade_no));
        return a.sdk.exec(method, params, options);
      };
      return { ...a, sdk };
    },
    get links() {
      return envPayments.links;
    },
  };
  return { pay, asked: (orderNo) => sent.filter((n) => n === orderNo).length };
}

const reload = (id: string) => h.db.renewalOrder.findUniqueOrThrow({ where: { id } });
const events = (orderId: string) =>
  h.db.paymentEvent.findMany({ where: { orderId, kind: "notify" }, orderBy: { createdAt: "asc" } });

describe("Alipay notify against the local emulator", () => {
  it("pays: precreate → scan and pay → signed notify → order paid once, audited, mail queued", async () => {
    const order = await insertOrder(h.db, h.clock);
    const start = await startPayment(h.db, envPayments, { orderId: order.id, clock: h.clock });
    expect(start.amountFen).toBe(10000);
    expect(start.orderNo).toBe(order.orderNo);
    expect(start.qrCode).toMatch(/^http:\/\/portal\.test\/sandbox\/alipay\/pay\/\d{28}$/);
    const again = await startPayment(h.db, envPayments, { orderId: order.id, clock: h.clock });
    expect(again.qrCode).toBe(start.qrCode);
    expect(await h.db.sandboxTrade.count({ where: { outTradeNo: order.orderNo } })).toBe(1);
    const trade = await h.db.sandboxTrade.findUniqueOrThrow({ where: { outTradeNo: order.orderNo } });
    expect(trade.totalFen).toBe(10000);
    expect(trade.timeoutAt.toISOString()).toBe(new Date(h.clock.now().getTime() + 30 * MINUTE).toISOString());

    await payTrade(h.env, tradeNoOf(start.qrCode));
    expect(await h.deliver()).toEqual({ delivered: 1, failed: 0 });
    const paid = await reload(order.id);
    expect(paid.state).toBe("paid");
    expect(paid.paidFen).toBe(10000);
    expect(paid.alipayTradeNo).toBe(trade.tradeNo);
    expect(paid.paidAt?.toISOString()).toBe(h.clock.now().toISOString());
    expect((await events(order.id)).map((e) => [e.outcome, e.verified])).toEqual([["applied", true]]);
    expect(await h.db.auditEvent.count({ where: { targetId: order.id, action: "payment.received" } })).toBe(1);
    expect(await h.db.mailOutbox.count({ where: { orderId: order.id, template: "payment_received" } })).toBe(1);
    expect((await h.db.sandboxNotify.findFirstOrThrow({ where: { tradeNo: trade.tradeNo } })).state).toBe("delivered");
    expect((await verifyAuditChain(h.db)).ok).toBe(true);
  });

  it("the pay page's delivery (one trade) leaves other trades' due notifications to the job", async () => {
    const a = await openAndPay();
    const b = await openAndPay();
    const pending = (tradeNo: string) => h.db.sandboxNotify.findFirstOrThrow({ where: { tradeNo } });
    expect(await deliverDueNotifies(h.db, h.clock, TIME_FACTOR, { tradeNo: a.trade.tradeNo })).toEqual({
      delivered: 1,
      failed: 0,
    });
    expect([(await reload(a.order.id)).state, (await reload(b.order.id)).state]).toEqual(["paid", "awaiting_payment"]);
    expect([(await pending(b.trade.tradeNo)).state, (await pending(b.trade.tradeNo)).attempts]).toEqual(["pending", 0]);
    await deliverDueNotifies(h.db, h.clock, TIME_FACTOR, { tradeNo: b.trade.tradeNo });
    expect((await reload(b.order.id)).state).toBe("paid");
  });

  it("rejects a notification with a forged signature, leaves the order unchanged, and Alipay retries on schedule", async () => {
    const { order, trade } = await openAndPay({ badSignature: true });
    await h.deliver();
    expect(h.answers.at(-1)).toBe("fail");
    expect((await reload(order.id)).state).toBe("awaiting_payment");
    const [ev] = await h.db.paymentEvent.findMany({ where: { outTradeNo: order.orderNo, kind: "notify" } });
    expect([ev.outcome, ev.verified, ev.orderId]).toEqual(["rejected:BAD_SIGNATURE", false, null]);
    const n = await h.db.sandboxNotify.findFirstOrThrow({ where: { tradeNo: trade.tradeNo } });
    expect([n.state, n.attempts]).toEqual(["pending", 1]);
    expect(n.nextAttemptAt.getTime() - h.clock.now().getTime()).toBe(Math.round(RETRY_SCHEDULE_MS[0] * TIME_FACTOR));
  });

  it("rejects a genuine notification whose amount was altered after signing", async () => {
    const { order, trade } = await openAndPay({ lost: true });
    const params = buildNotify(trade, h.env, "TRADE_SUCCESS");
    expect(await handleNotify(h.db, envPayments, { ...params, total_amount: "0.01" }, h.clock)).toBe("fail");
    expect((await reload(order.id)).state).toBe("awaiting_payment");
  });

  it("rejects a correctly signed notification whose amount differs from the order's price", async () => {
    const { order } = await openAndPay({ wrongAmount: true });
    await h.deliver();
    expect(h.answers.at(-1)).toBe("fail");
    expect((await reload(order.id)).state).toBe("awaiting_payment");
    expect((await events(order.id)).map((e) => [e.outcome, e.verified, e.amountFen])).toEqual([
      ["rejected:WRONG_AMOUNT", true, 10001],
    ]);
  });

  it("rejects a signed notification for another app id, and one for an unknown order", async () => {
    const { order, trade } = await openAndPay({ lost: true });
    expect(
      await handleNotify(
        h.db,
        envPayments,
        buildNotify({ ...trade, appId: "2021000000000000" }, h.env, "TRADE_SUCCESS"),
        h.clock,
      ),
    ).toBe("fail");
    expect(
      await handleNotify(
        h.db,
        envPayments,
        buildNotify({ ...trade, outTradeNo: "R20261125NOSUCHORDER" }, h.env, "TRADE_SUCCESS"),
        h.clock,
      ),
    ).toBe("fail");
    expect((await reload(order.id)).state).toBe("awaiting_payment");
    const outcomes = (
      await h.db.paymentEvent.findMany({
        where: { tradeNo: trade.tradeNo, kind: "notify" },
        orderBy: { createdAt: "asc" },
      })
    ).map((e) => e.outcome);
    expect(outcomes).toEqual(["rejected:WRONG_APP_ID", "rejected:UNKNOWN_ORDER"]);
  });

  it("applies duplicated notifications once: one transition, one mail, the copies recorded as duplicates", async () => {
    const { order } = await openAndPay({ duplicate: 2 });
    expect(await h.deliver()).toEqual({ delivered: 3, failed: 0 });
    expect((await reload(order.id)).state).toBe("paid");
    expect((await events(order.id)).map((e) => e.outcome).sort()).toEqual(["applied", "duplicate", "duplicate"]);
    expect(await h.db.mailOutbox.count({ where: { orderId: order.id, template: "payment_received" } })).toBe(1);
  });

  it("applies the same notification delivered concurrently exactly once", async () => {
    const { order, trade } = await openAndPay({ lost: true });
    const params = buildNotify(trade, h.env, "TRADE_SUCCESS");
    const answers = await Promise.all([1, 2, 3, 4].map(() => handleNotify(h.db, envPayments, params, h.clock)));
    expect(answers).toEqual(["success", "success", "success", "success"]);
    expect((await events(order.id)).map((e) => e.outcome).sort()).toEqual([
      "applied",
      "duplicate",
      "duplicate",
      "duplicate",
    ]);
    expect(await h.db.auditEvent.count({ where: { targetId: order.id, action: "payment.received" } })).toBe(1);
  });

  it("ignores a stale WAIT_BUYER_PAY that arrives after TRADE_SUCCESS", async () => {
    const { order } = await openAndPay({ reorder: true });
    await h.deliver();
    const o = await reload(order.id);
    expect(o.state).toBe("paid");
    expect((await events(order.id)).map((e) => [e.tradeStatus, e.outcome])).toEqual([
      ["TRADE_SUCCESS", "applied"],
      ["WAIT_BUYER_PAY", "recorded"],
    ]);
  });

  it("settles by query when the notification is lost, and the sweep does the same", async () => {
    const { order } = await openAndPay({ lost: true });
    expect(await h.deliver()).toEqual({ delivered: 0, failed: 0 });
    expect(await settleByQuery(h.db, envPayments, order.id, h.clock)).toEqual({ state: "paid", paid: true });

    const second = await openAndPay({ lost: true });
    const { pay, asked } = askedPayments();
    // within POLL_FIRST_QUERY_MS of the QR code the notification is still expected: the sweep asks nobody
    h.clock.advance(POLL_FIRST_QUERY_MS - 1_000);
    await sweepPayments(h.db, pay, h.clock);
    expect((await reload(second.order.id)).state).toBe("awaiting_payment");
    expect(asked(second.order.orderNo)).toBe(0);
    h.clock.advance(1_000);
    await sweepPayments(h.db, pay, h.clock);
    expect((await reload(second.order.id)).state).toBe("paid");
    expect(asked(second.order.orderNo)).toBe(1);
  });

  it("the sweep and the page share one budget of questions per order", async () => {
    const order = await insertOrder(h.db, h.clock);
    await startPayment(h.db, envPayments, { orderId: order.id, clock: h.clock });
    const { pay, asked } = askedPayments();
    const waiting = { state: "awaiting_payment", paid: false };
    h.clock.advance(POLL_FIRST_QUERY_MS);
    // the page asks; the sweep right after leaves the order to the next window, then asks in it
    expect(await settleByPoll(h.db, pay, await reload(order.id), h.clock)).toEqual(waiting);
    expect(asked(order.orderNo)).toBe(1);
    await sweepPayments(h.db, pay, h.clock);
    expect(asked(order.orderNo)).toBe(1);
    h.clock.advance(POLL_QUERY_INTERVAL_MS);
    await sweepPayments(h.db, pay, h.clock);
    expect(asked(order.orderNo)).toBe(2);
    expect(await settleByPoll(h.db, pay, await reload(order.id), h.clock)).toEqual(waiting);
    expect(asked(order.orderNo)).toBe(2);
  });

  it("the page's poll asks Alipay 30 s after the QR code is shown and then at most every 10 s; a lost notification is settled so", async () => {
    const order = await insertOrder(h.db, h.clock);
    const start = await startPayment(h.db, envPayments, { orderId: order.id, clock: h.clock });
    await setSandboxFaults(h.db, { lost: true }, order.orderNo);
    const { pay, asked } = askedPayments();
    const poll = async () => settleByPoll(h.db, pay, await reload(order.id), h.clock);
    const waiting = { state: "awaiting_payment", paid: false };
    const pollFor = async (ms: number) => {
      for (let t = 0; t < ms; t += 2_000) {
        h.clock.advance(2_000);
        expect(await poll()).toEqual(waiting);
      }
    };
    expect(await poll()).toEqual(waiting);
    await pollFor(POLL_FIRST_QUERY_MS - 2_000);
    expect(asked(order.orderNo)).toBe(0);
    h.clock.advance(2_000);
    expect(await poll()).toEqual(waiting);
    expect(asked(order.orderNo)).toBe(1);

    await payTrade(h.env, tradeNoOf(start.qrCode));
    expect(await h.deliver()).toEqual({ delivered: 0, failed: 0 });
    await pollFor(POLL_QUERY_INTERVAL_MS - 2_000);
    expect(asked(order.orderNo)).toBe(1);
    h.clock.advance(2_000);
    expect(await poll()).toEqual({ state: "paid", paid: true });
    expect(asked(order.orderNo)).toBe(2);
    // paid: later polls read the order and ask nobody
    expect(await poll()).toEqual({ state: "paid", paid: true });
    expect(asked(order.orderNo)).toBe(2);
  });

  it("the page's status says where the wizard goes when its own question to Alipay settles the payment", async () => {
    const order = await insertOrder(h.db, h.clock);
    const start = await startPayment(h.db, envPayments, { orderId: order.id, clock: h.clock });
    await setSandboxFaults(h.db, { lost: true }, order.orderNo);
    await payTrade(h.env, tradeNoOf(start.qrCode));
    const status = (invoiceSkipped: boolean) =>
      paymentStatus(
        h.db,
        envPayments,
        { certificateId: order.certificateId, orderId: order.id, invoiceSkipped },
        h.clock,
      );
    expect(await status(false)).toEqual({ state: "awaiting_payment", paid: false, step: "pay" });
    h.clock.advance(POLL_FIRST_QUERY_MS);
    // this request's query settles the order: the invoice comes next, or 下证 when the holder skipped it
    expect(await status(false)).toEqual({ state: "paid", paid: true, step: "invoice" });
    expect(await status(true)).toEqual({ state: "paid", paid: true, step: "issue" });
  });

  it("a delayed notification arrives after the query settled the order and changes nothing", async () => {
    const { order } = await openAndPay({ delayMs: 10 * MINUTE });
    expect(await h.deliver()).toEqual({ delivered: 0, failed: 0 });
    await settleByQuery(h.db, envPayments, order.id, h.clock);
    h.clock.advance(10 * MINUTE);
    expect(await h.deliver()).toEqual({ delivered: 1, failed: 0 });
    expect((await events(order.id)).map((e) => e.outcome)).toEqual(["duplicate"]);
    expect(await h.db.auditEvent.count({ where: { targetId: order.id, action: "payment.received" } })).toBe(1);
  });

  it("retries an unanswered notification on Alipay's schedule (compressed) and gives up after 8 attempts", async () => {
    h.state.mode = "fail";
    try {
      const { trade } = await openAndPay();
      const times: number[] = [];
      for (let i = 0; i < 8; i++) {
        const n = await h.db.sandboxNotify.findFirstOrThrow({ where: { tradeNo: trade.tradeNo } });
        h.clock.set(n.nextAttemptAt);
        times.push(h.clock.now().getTime());
        expect((await h.deliver()).failed).toBe(1);
      }
      const gaps = times.slice(1).map((t, i) => t - times[i]);
      expect(gaps).toEqual(RETRY_SCHEDULE_MS.map((ms) => Math.round(ms * TIME_FACTOR)));
      const n = await h.db.sandboxNotify.findFirstOrThrow({ where: { tradeNo: trade.tradeNo } });
      expect([n.state, n.attempts]).toEqual(["gave_up", 8]);
    } finally {
      h.state.mode = "handle";
    }
  });
});
