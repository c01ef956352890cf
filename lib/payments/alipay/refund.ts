import type { Refund } from "../../generated/prisma/client";
import type { Db } from "../../db";
import type { Clock } from "../../clock";
import type { Actor } from "../../audit";
import { DomainError, isDomainError } from "../../errors";
import { canTransition, transitionOrder } from "../../orders/machine";
import { alipayExec, isSuccess, type PaymentDeps } from "./client";
import { fenToYuan } from "./amount";
import { recordPaymentEvent } from "./events";
import { withTx } from "../../audit";

export const ALLOW_PARTIAL_SETTING = "refund.allowPartial";

// Alipay's answers that mean "try the same request again later"
const TRANSIENT = new Set(["ACQ.SYSTEM_ERROR", "aop.unknow-error"]);

async function partialAllowed(db: Db): Promise<boolean> {
  const s = await db.setting.findUnique({ where: { key: ALLOW_PARTIAL_SETTING } });
  return s?.value === true;
}

export interface StartRefundInput {
  orderId: string;
  reason: string;
  actor: Actor;
  clock: Clock;
  /** defaults to the whole amount paid; less only when the policy setting refund.allowPartial is true */
  amountFen?: number;
}

/**
 * Finance staff refunds a paid order: the order goes to refund_pending with a Refund row (its out_request_no makes
 * Alipay's side idempotent), then alipay.trade.refund is called; on success the order becomes refunded.
 */
export async function startRefund(db: Db, pay: PaymentDeps, input: StartRefundInput): Promise<Refund> {
  const { clock } = input;
  const reason = input.reason.trim().slice(0, 200);
  if (!reason) throw new DomainError("VALIDATION_FAILED", { fields: { reason: "required" } });
  const refund = await withTx(db, async (tx) => {
    const order = await tx.renewalOrder.findUnique({ where: { id: input.orderId } });
    if (!order) throw new DomainError("ORDER_NOT_FOUND");
    if (
      !canTransition(order, "refund_pending") ||
      order.state === "cancelled" ||
      order.state === "expired" ||
      !order.paidFen
    ) {
      throw new DomainError("REFUND_NOT_ALLOWED", { state: order.state });
    }
    const amountFen = input.amountFen ?? order.paidFen;
    if (!Number.isSafeInteger(amountFen) || amountFen < 1 || amountFen > order.paidFen)
      throw new DomainError("REFUND_AMOUNT_INVALID");
    if (amountFen !== order.paidFen && !(await partialAllowed(tx as Db)))
      throw new DomainError("REFUND_PARTIAL_NOT_ALLOWED", { paidFen: order.paidFen });
    await transitionOrder(tx, {
      orderId: order.id,
      to: "refund_pending",
      actor: input.actor,
      clock,
      expectVersion: order.version,
      action: "refund.requested",
      data: { amountFen, reason },
    });
    const n = await tx.refund.count({ where: { orderId: order.id } });
    return tx.refund.create({
      data: {
        orderId: order.id,
        outRequestNo: `${order.orderNo}-R${n + 1}`,
        amountFen,
        reason,
        requestedBy: input.actor.id ?? null,
        automatic: false,
        createdAt: clock.now(),
      },
    });
  });
  try {
    return await executeRefund(db, pay, refund.id, clock, input.actor);
  } catch (e) {
    if (isDomainError(e) && e.code === "ALIPAY_UNAVAILABLE") return refund; // pending; the sweep retries it
    throw e;
  }
}

/**
 * Sends one pending refund to Alipay (again, with the same out_request_no, when a retry is needed) and records
 * the outcome: succeeded → order refunded; a definite refusal → failed, for a person to handle; anything
 * transient → still pending.
 */
export async function executeRefund(
  db: Db,
  pay: PaymentDeps,
  refundId: string,
  clock: Clock,
  actor: Actor = { type: "system", id: "payments" },
): Promise<Refund> {
  const refund = await db.refund.findUniqueOrThrow({ where: { id: refundId }, include: { order: true } });
  if (refund.state !== "pending") return refund;
  const { order } = refund;
  const r = await alipayExec(pay.alipay(), "alipay.trade.refund", {
    out_trade_no: order.orderNo,
    refund_amount: fenToYuan(refund.amountFen),
    out_request_no: refund.outRequestNo,
    refund_reason: refund.reason.slice(0, 80),
  });
  const ok = isSuccess(r);
  const transient = !ok && TRANSIENT.has(String(r.sub_code ?? ""));
  return withTx(db, async (tx) => {
    const current = await tx.renewalOrder.findUniqueOrThrow({ where: { id: order.id } });
    await recordPaymentEvent(
      tx,
      {
        order: current,
        kind: "refund",
        outTradeNo: order.orderNo,
        tradeNo: typeof r.trade_no === "string" ? r.trade_no : null,
        amountFen: refund.amountFen,
        verified: true,
        outcome: ok ? "succeeded" : `${transient ? "retry" : "failed"}:${String(r.sub_code ?? r.code)}`,
        raw: r,
        audit: !ok,
      },
      clock,
    );
    if (!ok) {
      await tx.refund.updateMany({
        where: { id: refund.id, state: "pending" },
        data: {
          state: transient ? "pending" : "failed",
          lastError: `${String(r.sub_code ?? r.code)} ${String(r.sub_msg ?? r.msg)}`.slice(0, 300),
        },
      });
      return tx.refund.findUniqueOrThrow({ where: { id: refund.id } });
    }
    // a concurrent run of the same refund (sweep and request) may have recorded it first
    const won = await tx.refund.updateMany({
      where: { id: refund.id, state: "pending" },
      data: { state: "succeeded", completedAt: clock.now(), lastError: null },
    });
    const done = await tx.refund.findUniqueOrThrow({ where: { id: refund.id } });
    if (won.count === 0) return done;
    const open = await tx.refund.count({ where: { orderId: order.id, state: "pending" } });
    if (open === 0 && current.state === "refund_pending") {
      await transitionOrder(tx, {
        orderId: order.id,
        to: "refunded",
        actor,
        clock,
        expectVersion: current.version,
        action: "refund.succeeded",
        data: { amountFen: refund.amountFen, outRequestNo: refund.outRequestNo, automatic: refund.automatic },
      });
    }
    return done;
  });
}

/** Pending refunds whose Alipay call did not get through; run by the payments sweep. */
export async function retryPendingRefunds(db: Db, pay: PaymentDeps, clock: Clock): Promise<number> {
  const pending = await db.refund.findMany({
    where: { state: "pending", createdAt: { lte: new Date(clock.now().getTime() - 30_000) } },
    take: 50,
  });
  let done = 0;
  for (const r of pending) {
    try {
      if ((await executeRefund(db, pay, r.id, clock)).state === "succeeded") done++;
    } catch (e) {
      if (!(isDomainError(e) && e.code === "ALIPAY_UNAVAILABLE")) throw e;
    }
  }
  return done;
}
