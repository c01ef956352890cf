import type { RenewalOrder } from "../../generated/prisma/client";
import type { Db } from "../../db";
import type { Clock } from "../../clock";
import type { Actor } from "../../audit";
import { isDomainError } from "../../errors";
import { log } from "../../log";
import { canTransition, transitionOrder } from "../../orders/machine";
import { isSuccess, type AlipayResponse, type PaymentDeps } from "./client";
import { tryYuanToFen } from "./amount";
import { parseAlipayTime } from "./time";
import { recordPaymentEvent, type PaymentEventInput } from "./events";
import { executeRefund } from "./refund";
import { randomUUID } from "node:crypto";
import { withSqlTx } from "../../audit";
import { insertRow, rowOrThrow, uniqueRow, updateById } from "../../db/lean";

/** A payment Alipay vouches for (a verified notification or a signed query answer). */
export interface PaymentFacts {
  tradeNo: string;
  amountFen: number;
  paidAt: Date;
}

export type SettleOutcome = "applied" | "duplicate" | "refunding" | "unexpected";

type EventBase = Omit<PaymentEventInput, "order" | "outcome" | "verified" | "audit">;

const PAID_LATE = "payment arrived after the order was closed: refunded automatically";

/** Retries a transaction that lost an optimistic-version race; the second read sees the winner's state. */
export async function retryOnConflict<T>(fn: () => Promise<T>, attempts = 4): Promise<T> {
  for (let i = 1; ; i++) {
    try {
      return await fn();
    } catch (e) {
      if (!(isDomainError(e) && e.code === "CONFLICT") || i >= attempts) throw e;
    }
  }
}

/**
 * Applies a verified payment to its order exactly once, recording the event in the same transaction:
 * awaiting_payment → paid; a payment for a cancelled or expired order → flagged, refund_pending and an automatic
 * refund (sent after commit); the same trade seen again → duplicate, nothing changes.
 */
export async function applyPayment(
  db: Db,
  pay: PaymentDeps,
  orderId: string,
  facts: PaymentFacts,
  event: EventBase,
  clock: Clock,
): Promise<SettleOutcome> {
  const actor: Actor = { type: "alipay", id: facts.tradeNo };
  const result = await retryOnConflict(() =>
    withSqlTx(db, async (tx) => {
      const order = await rowOrThrow(uniqueRow(tx, "RenewalOrder", "id", orderId));
      const record = (outcome: SettleOutcome, o: Pick<RenewalOrder, "id" | "state"> = order, audit = true) =>
        recordPaymentEvent(tx, { ...event, order: o, outcome, verified: true, audit }, clock);
      const money = { alipayTradeNo: facts.tradeNo, paidFen: facts.amountFen, paidAt: facts.paidAt };

      if (order.state === "awaiting_payment") {
        const paid = await transitionOrder(tx, {
          orderId,
          to: "paid",
          actor,
          clock,
          current: order,
          action: "payment.received",
          links: pay.links,
          set: money,
          data: { tradeNo: facts.tradeNo, amountFen: facts.amountFen, via: event.kind },
        });
        await record("applied", paid, false);
        return { outcome: "applied" as const };
      }
      if (order.alipayTradeNo === facts.tradeNo) {
        await record("duplicate");
        return { outcome: "duplicate" as const };
      }
      if ((order.state === "cancelled" || order.state === "expired") && canTransition(order, "refund_pending")) {
        const pending = await transitionOrder(tx, {
          orderId,
          to: "refund_pending",
          actor,
          clock,
          expectVersion: order.version,
          action: "payment.after_close",
          set: { ...money, flagged: true, flagReason: PAID_LATE },
          data: { tradeNo: facts.tradeNo, amountFen: facts.amountFen, via: event.kind },
        });
        const refund = await insertRow(tx, "Refund", {
          id: randomUUID(),
          orderId,
          outRequestNo: `${order.orderNo}-A`,
          amountFen: facts.amountFen,
          reason: PAID_LATE,
          automatic: true,
          requestedBy: "system",
          createdAt: clock.now(),
        });
        await record("refunding", pending, false);
        return { outcome: "refunding" as const, refundId: refund.id };
      }
      // money for an order in a state that cannot take it: keep the evidence and ask a person to look
      await updateById(tx, "RenewalOrder", orderId, {
        flagged: true,
        flagReason: `unexpected payment ${facts.tradeNo} in state ${order.state}`,
      });
      await record("unexpected");
      return { outcome: "unexpected" as const };
    }),
  );
  if ("refundId" in result && result.refundId) {
    try {
      await executeRefund(db, pay, result.refundId, clock);
    } catch (e) {
      // the refund row stays pending; the payments sweep retries it with the same out_request_no
      log.warn({ err: e, orderId }, "automatic refund not completed yet");
    }
  }
  if (result.outcome === "unexpected")
    log.error({ orderId, tradeNo: facts.tradeNo }, "payment for an order that cannot take it; flagged");
  return result.outcome;
}

const PAID = new Set(["TRADE_SUCCESS", "TRADE_FINISHED"]);

export function isPaidStatus(r: AlipayResponse): boolean {
  return isSuccess(r) && PAID.has(String(r.trade_status));
}

/** Settles the order from a signed query answer that says the trade is paid; the amount must match the order. */
export async function settleFromQuery(
  db: Db,
  pay: PaymentDeps,
  order: RenewalOrder,
  r: AlipayResponse,
  kind: "query" | "close",
  clock: Clock,
): Promise<SettleOutcome | "rejected"> {
  const amountFen = tryYuanToFen(typeof r.total_amount === "string" ? r.total_amount : undefined);
  const tradeNo = typeof r.trade_no === "string" ? r.trade_no : "";
  const base = { kind, outTradeNo: order.orderNo, tradeStatus: String(r.trade_status), tradeNo, amountFen, raw: r };
  if (amountFen !== order.priceFen || !tradeNo) {
    await withSqlTx(db, (tx) =>
      recordPaymentEvent(tx, { ...base, order, verified: true, outcome: "rejected:WRONG_AMOUNT" }, clock),
    );
    log.error({ orderId: order.id, tradeNo }, "alipay query reports a paid trade with the wrong amount");
    return "rejected";
  }
  const paidAt = parseAlipayTime(typeof r.send_pay_date === "string" ? r.send_pay_date : undefined) ?? clock.now();
  return applyPayment(db, pay, order.id, { tradeNo, amountFen, paidAt }, base, clock);
}
