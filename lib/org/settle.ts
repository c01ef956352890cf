import type { Db } from "../db";
import type { Clock } from "../clock";
import type { OrgBatch } from "../generated/prisma/client";
import { appendAudit, withTx } from "../audit";
import { DomainError } from "../errors";
import { log } from "../log";
import { alipayExec, isSuccess, type PaymentDeps } from "../payments/alipay/client";
import { fenToYuan, tryYuanToFen } from "../payments/alipay/amount";
import { recordPaymentEvent } from "../payments/alipay/events";
import { parseAlipayTime } from "../payments/alipay/time";
import type { OtherTrades } from "../payments/alipay/notify";
import { isBatchNo } from "./batch";

/**
 * Settling a batch's Alipay trade, exactly as a holder's order is settled (lib/payments/alipay/settle.ts): from a
 * verified notification or a signed query answer, for exactly the batch's amount, once. awaiting_payment → paid and
 * every item pending → covered in one transaction; a payment for a batch closed meanwhile is refunded in full.
 */

interface Facts {
  tradeNo: string;
  amountFen: number;
  paidAt: Date;
  via: "notify" | "query";
  raw: Record<string, unknown>;
  tradeStatus: string;
}

type Outcome = "applied" | "duplicate" | "refunding" | "rejected";

async function applyBatchPayment(db: Db, pay: PaymentDeps, batchNo: string, f: Facts, clock: Clock): Promise<Outcome> {
  const outcome = await withTx(db, async (tx) => {
    const batch = await tx.orgBatch.findUnique({ where: { batchNo } });
    const event = (outcome: string) =>
      recordPaymentEvent(
        tx,
        {
          order: null,
          kind: f.via,
          outTradeNo: batchNo,
          tradeStatus: f.tradeStatus,
          tradeNo: f.tradeNo,
          amountFen: f.amountFen,
          verified: true,
          outcome,
          raw: f.raw,
        },
        clock,
      );
    if (!batch || f.amountFen !== batch.totalFen) {
      await event(batch ? "rejected:WRONG_AMOUNT" : "rejected:UNKNOWN_ORDER");
      return "rejected" as const;
    }
    if (batch.alipayTradeNo === f.tradeNo) {
      await event("duplicate");
      return "duplicate" as const;
    }
    const money = { alipayTradeNo: f.tradeNo, paidFen: f.amountFen, paidAt: f.paidAt, updatedAt: clock.now() };
    const paid = batch.state === "awaiting_payment";
    const written = await tx.orgBatch.updateMany({
      where: { id: batch.id, state: batch.state, alipayTradeNo: null },
      data: paid ? { ...money, state: "paid" } : money,
    });
    if (written.count !== 1) throw new DomainError("CONFLICT");
    if (paid)
      await tx.orgBatchItem.updateMany({ where: { batchId: batch.id, state: "pending" }, data: { state: "covered" } });
    await event(paid ? "applied" : "refunding");
    await appendAudit(
      tx,
      {
        actorType: "alipay",
        actorId: f.tradeNo,
        action: paid ? "org.batch.paid" : "org.batch.paid_after_close",
        targetType: "org_batch",
        targetId: batch.id,
        fromState: batch.state,
        toState: paid ? "paid" : batch.state,
        data: { batchNo, tradeNo: f.tradeNo, amountFen: f.amountFen, via: f.via },
      },
      clock,
    );
    return paid ? ("applied" as const) : ("refunding" as const);
  });
  if (outcome === "refunding") {
    // the items were released when the batch closed: nothing can use this money, it goes back whole
    await refundTrade(db, pay, { batchNo, outRequestNo: `${batchNo}-A`, amountFen: f.amountFen, clock }).catch((e) =>
      log.error({ err: e, batchNo }, "refund of a payment after close failed; the sweep retries"),
    );
  }
  return outcome;
}

/** Notifications of batch trades (after lib/payments verified signature, app and seller). */
export const batchTrades: OtherTrades = {
  owns: isBatchNo,
  async handle(db, pay, p, clock) {
    if (p.trade_status !== "TRADE_SUCCESS" && p.trade_status !== "TRADE_FINISHED") return "success";
    // a refund re-announces the trade; it is not a new payment
    if (p.out_biz_no || p.gmt_refund) return "success";
    const amountFen = tryYuanToFen(p.total_amount);
    if (amountFen === null || !p.trade_no) return "fail";
    const outcome = await applyBatchPayment(
      db,
      pay,
      p.out_trade_no,
      {
        tradeNo: p.trade_no,
        amountFen,
        paidAt: parseAlipayTime(p.gmt_payment) ?? clock.now(),
        via: "notify",
        raw: p,
        tradeStatus: p.trade_status,
      },
      clock,
    );
    return outcome === "rejected" ? "fail" : "success";
  },
};

/** The console's pay page polls this: asks Alipay when the batch still waits (a lost notification settles here). */
export async function settleBatchByQuery(db: Db, pay: PaymentDeps, batch: OrgBatch, clock: Clock): Promise<OrgBatch> {
  if (batch.state !== "awaiting_payment") return batch;
  const shown = await db.paymentEvent.count({
    where: { outTradeNo: batch.batchNo, kind: "precreate", outcome: "applied" },
  });
  if (!shown) return batch;
  const r = await alipayExec(pay.alipay(), "alipay.trade.query", { out_trade_no: batch.batchNo });
  const status = String(r.trade_status);
  if (isSuccess(r) && (status === "TRADE_SUCCESS" || status === "TRADE_FINISHED")) {
    const amountFen = tryYuanToFen(typeof r.total_amount === "string" ? r.total_amount : undefined);
    if (amountFen !== null && typeof r.trade_no === "string") {
      await applyBatchPayment(
        db,
        pay,
        batch.batchNo,
        {
          tradeNo: r.trade_no,
          amountFen,
          paidAt: parseAlipayTime(typeof r.send_pay_date === "string" ? r.send_pay_date : undefined) ?? clock.now(),
          via: "query",
          raw: r,
          tradeStatus: status,
        },
        clock,
      );
    }
  }
  return db.orgBatch.findUniqueOrThrow({ where: { id: batch.id } });
}

/** One alipay.trade.refund on the batch's trade; out_request_no makes a retry idempotent at Alipay. */
export async function refundTrade(
  db: Db,
  pay: PaymentDeps,
  args: { batchNo: string; outRequestNo: string; amountFen: number; clock: Clock },
): Promise<void> {
  const r = await alipayExec(pay.alipay(), "alipay.trade.refund", {
    out_trade_no: args.batchNo,
    refund_amount: fenToYuan(args.amountFen),
    out_request_no: args.outRequestNo,
    refund_reason: "单位统一支付未使用部分退款",
  });
  await withTx(db, (tx) =>
    recordPaymentEvent(
      tx,
      {
        order: null,
        kind: "refund",
        outTradeNo: args.batchNo,
        amountFen: args.amountFen,
        verified: true,
        outcome: isSuccess(r) ? "applied" : `rejected:${String(r.sub_code ?? r.code)}`,
        raw: r,
      },
      args.clock,
    ),
  );
  if (!isSuccess(r)) throw new DomainError("ALIPAY_REJECTED", { subCode: String(r.sub_code ?? r.code) });
}
