import type { Db } from "../../db";
import type { RenewalOrder } from "../../generated/prisma/client";
import type { Clock } from "../../clock";
import { MINUTE } from "../../clock";
import { DomainError } from "../../errors";
import { alipayExec, isSuccess, type AlipayResponse, type PaymentDeps } from "./client";
import { fenToYuan } from "./amount";
import { recordPaymentEvent } from "./events";
import { holdPollQueries, settleByQuery } from "./query";
import { withSqlTx } from "../../audit";
import { sqlRows, uniqueRow } from "../../db/lean";

export interface PaymentStart {
  /** the URL Alipay returned; the QR code encodes it, and on a phone it opens Alipay */
  qrCode: string;
  amountFen: number;
  orderNo: string;
  deadline: Date;
}

// every payment step asks (lib/db/lean.ts)
const SHOWN_TRADE = `SELECT "raw" FROM "PaymentEvent" WHERE "kind" = 'precreate' AND "outcome" = 'applied' AND`;
const LATEST = `ORDER BY "createdAt" DESC LIMIT 1`;

/** The QR code of the trade already opened (for an order, or by out_trade_no for other trades), if any. */
export async function openTrade(db: Db, where: { orderId: string } | { outTradeNo: string }): Promise<string | null> {
  const [shown] =
    "orderId" in where
      ? await sqlRows<{ raw: unknown }>(db, `${SHOWN_TRADE} "orderId" = $1 ${LATEST}`, [where.orderId])
      : await sqlRows<{ raw: unknown }>(db, `${SHOWN_TRADE} "outTradeNo" = $1 ${LATEST}`, [where.outTradeNo]);
  const qr = (shown?.raw as { qr_code?: unknown } | undefined)?.qr_code;
  return typeof qr === "string" ? qr : null;
}

export interface TradeRequest {
  /** the order the trade is for (null: another kind of trade, e.g. an organisation's batch) */
  order: RenewalOrder | null;
  outTradeNo: string;
  amountFen: number;
  subject: string;
  body: string;
  deadline: Date;
}

/** alipay.trade.precreate for a QR trade timing out with the deadline, recorded as a payment event either way. */
export async function precreateTrade(
  db: Db,
  pay: PaymentDeps,
  t: TradeRequest,
  clock: Clock,
): Promise<{ ok: true; qrCode: string } | { ok: false; r: AlipayResponse }> {
  const minutes = Math.max(1, Math.ceil((t.deadline.getTime() - clock.now().getTime()) / MINUTE));
  const r = await alipayExec(
    pay.alipay(),
    "alipay.trade.precreate",
    {
      out_trade_no: t.outTradeNo,
      total_amount: fenToYuan(t.amountFen),
      subject: t.subject,
      body: t.body,
      timeout_express: `${minutes}m`,
    },
    { notify: true },
  );
  const ok = isSuccess(r) && typeof r.qr_code === "string";
  await withSqlTx(db, (tx) =>
    recordPaymentEvent(
      tx,
      {
        order: t.order,
        kind: "precreate",
        outTradeNo: t.outTradeNo,
        amountFen: t.amountFen,
        verified: true,
        outcome: ok ? "applied" : `rejected:${String(r.sub_code ?? r.code)}`,
        raw: r,
      },
      clock,
    ),
  );
  return ok ? { ok, qrCode: r.qr_code as string } : { ok, r };
}

/**
 * Opens the Alipay QR trade for an order awaiting payment (alipay.trade.precreate, out_trade_no = order number,
 * the amount from the order's price snapshot, timing out with the payment window). Calling it again returns the
 * same open trade.
 */
export async function startPayment(
  db: Db,
  pay: PaymentDeps,
  /** `order`: the order's row as the caller just read it (the holder's route), else read here */
  input: { orderId: string; clock: Clock; order?: RenewalOrder },
): Promise<PaymentStart> {
  const { clock } = input;
  const order =
    input.order?.id === input.orderId ? input.order : await uniqueRow(db, "RenewalOrder", "id", input.orderId);
  if (!order) throw new DomainError("ORDER_NOT_FOUND");
  if (order.state !== "awaiting_payment" || order.priceFen <= 0)
    throw new DomainError("PAYMENT_NOT_OPEN", { state: order.state });
  const deadline = order.paymentDeadline;
  if (!deadline || deadline <= clock.now()) throw new DomainError("PAYMENT_EXPIRED");

  let qrCode = await openTrade(db, { orderId: order.id });
  if (!qrCode) {
    const made = await precreateTrade(
      db,
      pay,
      {
        order,
        outTradeNo: order.orderNo,
        amountFen: order.priceFen,
        subject: `数字证书更新延期 ${order.years} 年`,
        body: `订单 ${order.orderNo}`,
        deadline,
      },
      clock,
    );
    if (!made.ok) {
      const { r } = made;
      if (r.sub_code === "ACQ.TRADE_HAS_SUCCESS") {
        const { state } = await settleByQuery(db, pay, order.id, clock);
        throw new DomainError("PAYMENT_NOT_OPEN", { state });
      }
      throw new DomainError("ALIPAY_REJECTED", { subCode: String(r.sub_code ?? r.code) });
    }
    qrCode = made.qrCode;
    await holdPollQueries(db, order.id, clock);
  }
  return { qrCode, amountFen: order.priceFen, orderNo: order.orderNo, deadline };
}
