import type { RenewalOrder } from "../../generated/prisma/client";
import type { Db } from "../../db";
import type { Clock } from "../../clock";
import { DomainError } from "../../errors";
import { alipayExec, isSuccess, type PaymentDeps } from "./client";
import { recordPaymentEvent } from "./events";
import { isPaidStatus, settleFromQuery } from "./settle";
import { withSqlTx } from "../../audit";

/**
 * Before an unpaid order is cancelled or expires: asks Alipay first, so a payment that just happened is
 * settled ("paid": do not cancel), else closes the trade ("closed"). "none": nobody has scanned the code yet,
 * so Alipay has no trade to close; a payment that still comes in is refunded automatically by the notify handler.
 */
export async function closeTradeBeforeCancel(
  db: Db,
  pay: PaymentDeps,
  order: RenewalOrder,
  clock: Clock,
): Promise<"paid" | "closed" | "none"> {
  const q = await alipayExec(pay.alipay(), "alipay.trade.query", { out_trade_no: order.orderNo });
  if (isPaidStatus(q)) {
    await settleFromQuery(db, pay, order, q, "query", clock);
    return "paid";
  }
  if (!isSuccess(q)) {
    if (q.sub_code === "ACQ.TRADE_NOT_EXIST") return "none";
    throw new DomainError("ALIPAY_REJECTED", { subCode: String(q.sub_code ?? q.code) });
  }
  if (q.trade_status === "TRADE_CLOSED") return "closed";
  const c = await alipayExec(pay.alipay(), "alipay.trade.close", { out_trade_no: order.orderNo });
  if (!isSuccess(c)) {
    // paid between our query and the close
    const again = await alipayExec(pay.alipay(), "alipay.trade.query", { out_trade_no: order.orderNo });
    if (isPaidStatus(again)) {
      await settleFromQuery(db, pay, order, again, "query", clock);
      return "paid";
    }
    throw new DomainError("ALIPAY_REJECTED", { subCode: String(c.sub_code ?? c.code) });
  }
  await withSqlTx(db, (tx) =>
    recordPaymentEvent(
      tx,
      {
        order,
        kind: "close",
        outTradeNo: order.orderNo,
        tradeStatus: "TRADE_CLOSED",
        tradeNo: typeof c.trade_no === "string" ? c.trade_no : null,
        verified: true,
        outcome: "closed",
        raw: c,
      },
      clock,
    ),
  );
  return "closed";
}
