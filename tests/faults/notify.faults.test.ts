import "@/tests/helpers/env";
import { envPayments } from "@/tests/helpers/payments";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { HOUR, MINUTE } from "@/lib/clock";
import { fixedClock } from "@/lib/dev/testing/clock";
import { transitionOrder } from "@/lib/orders/machine";
import { POLL_FIRST_QUERY_MS, sweepPayments } from "@/lib/payments/alipay/query";
import { setSandboxFaults, type SandboxFaults } from "@/lib/dev/alipay-sandbox/faults";
import { deliverDueNotifies } from "@/lib/dev/alipay-sandbox/notify";
import { Recorder } from "@/lib/dev/sim/stats";
import { issueAndInstall, runHolderFlow } from "@/lib/dev/sim/holder-flow";
import type { HolderClient } from "@/lib/dev/sim/http";
import type { SimHolder } from "@/lib/dev/sim/holders";
import { startWorld, type World } from "./helpers/world";
import { useFaultSummary } from "./helpers/summary";
import { withTx } from "@/lib/audit";

/**
 * Alipay's notifications misbehaving, through the real sandbox gateway and the real notify route over HTTP: the
 * emulator's fault switches shape what it sends; the invariants say the money is applied exactly once and every
 * paid order can still be issued or is refunded.
 */

let w: World;
const summary = useFaultSummary("Alipay notifications");

beforeAll(async () => {
  w = await startWorld();
});
afterAll(async () => {
  await w?.close();
});

/** A holder's order with its QR trade open and the given faults switched on for that trade. */
async function orderAwaitingPayment(faults: SandboxFaults) {
  const [h] = await w.holders(1);
  const client = w.client();
  const r = await runHolderFlow(client, h, new Recorder(), { until: "payment" });
  const order = await w.db.renewalOrder.findUniqueOrThrow({ where: { id: r.orderId! } });
  await setSandboxFaults(w.db, faults, order.orderNo);
  const trade = await w.db.sandboxTrade.findUniqueOrThrow({ where: { outTradeNo: order.orderNo } });
  return { h, client, order, trade };
}

/** The holder goes on to 下证 and installs: a paid order must end issued. */
async function finish(p: { h: SimHolder; client: HolderClient; order: { id: string } }): Promise<void> {
  await issueAndInstall(p.client, p.h.key, p.order.id);
}

/** The buyer pays on the emulator's page; it sends the (faulty) notifications due now. */
async function pay(client: HolderClient, tradeNo: string) {
  const r = await client.request("POST", `/sandbox/alipay/pay/${tradeNo}/confirm`);
  expect(r.status).toBe(303);
}

/**
 * The payment page's status requests (one every 2 s) until the order is paid or 45 s have passed: the last answer.
 * The portal asks Alipay itself from POLL_FIRST_QUERY_MS (30 s) after the QR code was shown, then every 10 s
 * (settleByPoll).
 */
async function pollUntilPaid(client: HolderClient, orderId: string): Promise<{ paid: boolean }> {
  const until = Date.now() + POLL_FIRST_QUERY_MS + 15_000;
  for (;;) {
    const s = await client.ok<{ paid: boolean }>("GET", `/api/renew/payment?orderId=${orderId}`);
    if (s.paid || Date.now() > until) return s;
    await new Promise((r) => setTimeout(r, 2000));
  }
}

const state = async (orderId: string) => (await w.db.renewalOrder.findUniqueOrThrow({ where: { id: orderId } })).state;
const events = (orderId: string) =>
  w.db.paymentEvent.findMany({ where: { orderId, kind: "notify" }, orderBy: { createdAt: "asc" } });

describe("Alipay notification faults", () => {
  it("duplicated notifications (×4) apply the payment once", async () => {
    const p = await orderAwaitingPayment({ duplicate: 3 });
    const { client, order, trade } = p;
    await pay(client, trade.tradeNo);
    const outcomes = (await events(order.id)).map((e) => e.outcome);
    const checks: [string, boolean][] = [
      [
        `4 deliveries: 1 applied, 3 duplicates (${outcomes.join(",")})`,
        outcomes.filter((o) => o === "applied").length === 1 && outcomes.filter((o) => o === "duplicate").length === 3,
      ],
      ["order paid", (await state(order.id)) === "paid"],
    ];
    await finish(p);
    await summary.verify(w.db, "notify duplicated ×4", 3, checks, { orderIds: [order.id] });
  });

  it("a stale WAIT_BUYER_PAY arriving after TRADE_SUCCESS never undoes the payment", async () => {
    const p = await orderAwaitingPayment({ reorder: true });
    const { client, order, trade } = p;
    await pay(client, trade.tradeNo);
    const statuses = (await events(order.id)).map((e) => e.tradeStatus);
    const checks: [string, boolean][] = [
      [`success then stale wait (${statuses.join(",")})`, statuses.join(",") === "TRADE_SUCCESS,WAIT_BUYER_PAY"],
      ["order still paid", (await state(order.id)) === "paid"],
    ];
    await finish(p);
    await summary.verify(w.db, "notify reordered", 1, checks, { orderIds: [order.id] });
  });

  it("a notification delayed past the order's deadline: the sweep settles by query first, the late one is a duplicate", async () => {
    const p = await orderAwaitingPayment({ delayMs: 3 * HOUR });
    const { client, order, trade } = p;
    await pay(client, trade.tradeNo);
    expect(await state(order.id)).toBe("awaiting_payment");
    const afterDeadline = fixedClock(new Date(order.paymentDeadline!.getTime() + MINUTE));
    await sweepPayments(w.db, envPayments, afterDeadline);
    const settled = await state(order.id);
    await deliverDueNotifies(w.db, fixedClock(new Date(Date.now() + 3 * HOUR + MINUTE)), 1);
    const outcomes = (await events(order.id)).map((e) => e.outcome);
    const checks: [string, boolean][] = [
      ["paid by the sweep's query, not expired", settled === "paid" && (await state(order.id)) === "paid"],
      [`late notification is a duplicate (${outcomes.join(",")})`, outcomes.join(",") === "duplicate"],
    ];
    await finish(p);
    await summary.verify(w.db, "notify delayed past expiry (query)", 1, checks, { orderIds: [order.id] });
  });

  it("a payment whose notification arrives after the order expired is refunded automatically", async () => {
    const p = await orderAwaitingPayment({ delayMs: 3 * HOUR });
    const { client, order, trade } = p;
    await pay(client, trade.tradeNo);
    // the sweep could not learn of the payment (Alipay unreachable) and expired the order at its deadline
    await withTx(w.db, (tx) =>
      transitionOrder(tx, {
        orderId: order.id,
        to: "expired",
        actor: { type: "system", id: "payments-sweep" },
        clock: fixedClock(order.paymentDeadline!),
        action: "payment.expired",
      }),
    );
    await deliverDueNotifies(w.db, fixedClock(new Date(Date.now() + 3 * HOUR + MINUTE)), 1);
    const after = await w.db.renewalOrder.findUniqueOrThrow({ where: { id: order.id } });
    const refunds = await w.db.refund.findMany({ where: { orderId: order.id } });
    await summary.verify(
      w.db,
      "notify after expiry → refund",
      1,
      [
        [
          `refunded in full (${after.state}, ${refunds.map((r) => `${r.state}:${r.amountFen}`).join(",")})`,
          after.state === "refunded" && refunds.length === 1 && refunds[0].amountFen === order.priceFen,
        ],
        ["flagged for the helpdesk", after.flagged],
      ],
      { orderIds: [order.id] },
    );
  });

  it("forged notifications are refused and change nothing; the holder's page still learns of the real payment", async () => {
    const p = await orderAwaitingPayment({ badSignature: true, duplicate: 1 });
    const { client, order, trade } = p;
    await pay(client, trade.tradeNo);
    const before = await state(order.id);
    const outcomes = (await w.db.paymentEvent.findMany({ where: { outTradeNo: order.orderNo, kind: "notify" } })).map(
      (e) => `${e.outcome}/${e.verified}`,
    );
    const polled = await pollUntilPaid(client, order.id);
    const checks: [string, boolean][] = [
      ["order unchanged by the forgeries", before === "awaiting_payment"],
      [
        `both refused unverified (${outcomes.join(",")})`,
        outcomes.length === 2 && outcomes.every((o) => o === "rejected:BAD_SIGNATURE/false"),
      ],
      ["paid once by the signed query", polled.paid && (await state(order.id)) === "paid"],
    ];
    await finish(p);
    await summary.verify(w.db, "notify forged ×2", 2, checks, { orderIds: [order.id] });
  });

  it("a notification with the wrong amount is refused; the query with the right amount settles the order", async () => {
    const p = await orderAwaitingPayment({ wrongAmount: true });
    const { client, order, trade } = p;
    await pay(client, trade.tradeNo);
    const before = await state(order.id);
    const outcomes = (await events(order.id)).map((e) => e.outcome);
    const polled = await pollUntilPaid(client, order.id);
    const after = await w.db.renewalOrder.findUniqueOrThrow({ where: { id: order.id } });
    const checks: [string, boolean][] = [
      ["order unchanged by it", before === "awaiting_payment"],
      [`refused (${outcomes.join(",")})`, outcomes.join(",") === "rejected:WRONG_AMOUNT"],
      ["paid the order's price once", polled.paid && after.paidFen === order.priceFen],
    ];
    await finish(p);
    await summary.verify(w.db, "notify wrong amount", 1, checks, { orderIds: [order.id] });
  });

  it("a lost notification: the payments sweep settles the order by query", async () => {
    const p = await orderAwaitingPayment({ lost: true });
    const { client, order, trade } = p;
    await pay(client, trade.tradeNo);
    const before = await state(order.id);
    // the sweep asks Alipay once the notification is overdue (POLL_FIRST_QUERY_MS after the QR code)
    await sweepPayments(w.db, envPayments, fixedClock(new Date(Date.now() + POLL_FIRST_QUERY_MS)));
    const checks: [string, boolean][] = [
      ["no notification, not paid yet", before === "awaiting_payment" && (await events(order.id)).length === 0],
      ["paid by the sweep", (await state(order.id)) === "paid"],
    ];
    await finish(p);
    await summary.verify(w.db, "notify lost", 1, checks, { orderIds: [order.id] });
  });
});
