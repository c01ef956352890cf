import QRCode from "qrcode";
import type { Db } from "../../db";
import type { Clock } from "../../clock";
import { MINUTE } from "../../clock";
import { DomainError } from "../../errors";
import { alipayExec, isSuccess, type PaymentDeps } from "./client";
import { fenToYuan } from "./amount";
import { recordPaymentEvent } from "./events";
import { settleByQuery } from "./query";
import { withTx } from "../../audit";

export interface PaymentStart {
  /** the URL Alipay returned; the QR code encodes it, and on a phone it opens Alipay */
  qrCode: string;
  qrSvg: string;
  amountFen: number;
  orderNo: string;
  deadline: Date;
}

async function openTrade(db: Db, orderId: string): Promise<string | null> {
  const shown = await db.paymentEvent.findFirst({
    where: { orderId, kind: "precreate", outcome: "applied" },
    orderBy: { createdAt: "desc" },
  });
  const qr = (shown?.raw as { qr_code?: unknown } | undefined)?.qr_code;
  return typeof qr === "string" ? qr : null;
}

/**
 * Opens the Alipay QR trade for an order awaiting payment (alipay.trade.precreate, out_trade_no = order number,
 * the amount from the order's price snapshot, timing out with the payment window). Calling it again returns the
 * same open trade.
 */
export async function startPayment(
  db: Db,
  pay: PaymentDeps,
  input: { orderId: string; clock: Clock },
): Promise<PaymentStart> {
  const { clock } = input;
  const order = await db.renewalOrder.findUnique({ where: { id: input.orderId } });
  if (!order) throw new DomainError("ORDER_NOT_FOUND");
  if (order.state !== "awaiting_payment" || order.priceFen <= 0)
    throw new DomainError("PAYMENT_NOT_OPEN", { state: order.state });
  const deadline = order.paymentDeadline;
  if (!deadline || deadline <= clock.now()) throw new DomainError("PAYMENT_EXPIRED");

  let qrCode = await openTrade(db, order.id);
  if (!qrCode) {
    const minutes = Math.max(1, Math.ceil((deadline.getTime() - clock.now().getTime()) / MINUTE));
    const r = await alipayExec(
      pay.alipay(),
      "alipay.trade.precreate",
      {
        out_trade_no: order.orderNo,
        total_amount: fenToYuan(order.priceFen),
        subject: `数字证书更新延期 ${order.years} 年`,
        body: `订单 ${order.orderNo}`,
        timeout_express: `${minutes}m`,
      },
      { notify: true },
    );
    const ok = isSuccess(r) && typeof r.qr_code === "string";
    await withTx(db, (tx) =>
      recordPaymentEvent(
        tx,
        {
          order,
          kind: "precreate",
          outTradeNo: order.orderNo,
          amountFen: order.priceFen,
          verified: true,
          outcome: ok ? "applied" : `rejected:${String(r.sub_code ?? r.code)}`,
          raw: r,
        },
        clock,
      ),
    );
    if (!ok) {
      if (r.sub_code === "ACQ.TRADE_HAS_SUCCESS") {
        const { state } = await settleByQuery(db, pay, order.id, clock);
        throw new DomainError("PAYMENT_NOT_OPEN", { state });
      }
      throw new DomainError("ALIPAY_REJECTED", { subCode: String(r.sub_code ?? r.code) });
    }
    qrCode = r.qr_code as string;
  }
  const qrSvg = await QRCode.toString(qrCode, { type: "svg", errorCorrectionLevel: "M", margin: 1 });
  return { qrCode, qrSvg, amountFen: order.priceFen, orderNo: order.orderNo, deadline };
}
