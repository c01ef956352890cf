import type { RenewalOrder } from "../../generated/prisma/client";
import type { Db } from "../../db";
import { MINUTE, type Clock } from "../../clock";
import { isDomainError } from "../../errors";
import { log } from "../../log";
import { hitRateLimit } from "../../ratelimit";
import type { Alipay, PaymentDeps } from "./client";
import { tryYuanToFen } from "./amount";
import { parseAlipayTime } from "./time";
import { recordPaymentEvent } from "./events";
import { applyPayment } from "./settle";
import { withSqlTx } from "../../audit";
import { uniqueRow } from "../../db/lean";
import { metrics } from "../../metrics";

type Verified =
  | { ok: true; order: RenewalOrder; amountFen: number; tradeNo: string }
  | { ok: false; code: string; signed: boolean; order: RenewalOrder | null };

/** Signature first, then that it is for our app and merchant: null when it is, else the refusal's code. */
function verifySource(alipay: Alipay, p: Record<string, string>): { code: string | null; signed: boolean } {
  let signed: boolean;
  try {
    signed = alipay.sdk.checkNotifySignV2(p);
  } catch {
    signed = false;
  }
  if (!signed) return { code: "BAD_SIGNATURE", signed };
  if (p.app_id !== alipay.appId) return { code: "WRONG_APP_ID", signed };
  if (p.seller_id !== alipay.sellerId) return { code: "WRONG_SELLER_ID", signed };
  return { code: null, signed };
}

/** Signature first, then that it is for us and for an order we have, for exactly that order's price. */
async function verify(db: Db, alipay: Alipay, p: Record<string, string>): Promise<Verified> {
  const source = verifySource(alipay, p);
  if (source.code) return { ok: false, code: source.code, signed: source.signed, order: null };
  const signed = true;
  const order = p.out_trade_no ? await uniqueRow(db, "RenewalOrder", "orderNo", p.out_trade_no) : null;
  if (!order) return { ok: false, code: "UNKNOWN_ORDER", signed, order: null };
  const amountFen = tryYuanToFen(p.total_amount);
  if (amountFen === null || amountFen !== order.priceFen) return { ok: false, code: "WRONG_AMOUNT", signed, order };
  if (!p.trade_no) return { ok: false, code: "NO_TRADE_NO", signed, order };
  return { ok: true, order, amountFen, tradeNo: p.trade_no };
}

type Handler = (
  db: Db,
  pay: PaymentDeps,
  v: Extract<Verified, { ok: true }>,
  p: Record<string, string>,
  clock: Clock,
) => Promise<void>;

const event = (v: Extract<Verified, { ok: true }>, p: Record<string, string>) => ({
  kind: "notify" as const,
  outTradeNo: v.order.orderNo,
  tradeStatus: p.trade_status,
  tradeNo: v.tradeNo,
  amountFen: v.amountFen,
  raw: p,
});

/** Recorded for the timeline, nothing else changes (a stale WAIT_BUYER_PAY never undoes a payment). */
const recordOnly: Handler = (db, _pay, v, p, clock) =>
  withSqlTx(db, (tx) =>
    recordPaymentEvent(tx, { ...event(v, p), order: v.order, verified: true, outcome: "recorded" }, clock),
  ).then(() => undefined);

const markPaid: Handler = async (db, pay, v, p, clock) => {
  // a refund also re-announces the trade's status; it carries out_biz_no and is not a new payment
  if (p.out_biz_no || p.gmt_refund) return recordOnly(db, pay, v, p, clock);
  const paidAt = parseAlipayTime(p.gmt_payment) ?? clock.now();
  await applyPayment(db, pay, v.order.id, { tradeNo: v.tradeNo, amountFen: v.amountFen, paidAt }, event(v, p), clock);
};

const HANDLERS: Record<string, Handler> = {
  TRADE_SUCCESS: markPaid,
  TRADE_FINISHED: markPaid,
  WAIT_BUYER_PAY: recordOnly,
  TRADE_CLOSED: recordOnly,
};

/** forged (unsigned) notifications stored per refusal reason per window; the rest are answered "fail" unrecorded */
export const FORGED_NOTIFY_SAMPLE = { max: 20, windowMs: 10 * MINUTE };

async function sampleForged(db: Db, code: string, clock: Clock): Promise<boolean> {
  try {
    await hitRateLimit(db, `alipay.notify.forged:${code}`, FORGED_NOTIFY_SAMPLE, clock);
    return true;
  } catch (e) {
    if (isDomainError(e) && e.code === "RATE_LIMITED") return false;
    throw e;
  }
}

/**
 * Alipay's asynchronous notification. Answers "success" only once what it says is committed; "fail" makes Alipay
 * retry, which is what a rejected (forged, foreign, wrong-amount) or not-yet-stored notification deserves.
 */
/**
 * Trades that are not renewal orders (lib/org's batch payments, numbered apart): their notifications reach `handle`
 * only once signature, app and seller are verified here; `handle` checks the amount and stores the outcome itself.
 */
export interface OtherTrades {
  owns(outTradeNo: string): boolean;
  handle(db: Db, pay: PaymentDeps, params: Record<string, string>, clock: Clock): Promise<"success" | "fail">;
}

export async function handleNotify(
  db: Db,
  pay: PaymentDeps,
  params: Record<string, string>,
  clock: Clock,
  others?: OtherTrades,
): Promise<"success" | "fail"> {
  try {
    if (others?.owns(params.out_trade_no ?? "") && verifySource(pay.alipay(), params).code === null) {
      const answer = await others.handle(db, pay, params, clock);
      metrics.alipayNotifications.inc({ outcome: answer });
      return answer;
    }
    const v = await verify(db, pay.alipay(), params);
    if (!v.ok) {
      // an unsigned (forged) notification is evidence worth a sample, not a row each: anyone can post millions
      if (!v.signed && !(await sampleForged(db, v.code, clock))) return "fail";
      await withSqlTx(db, (tx) =>
        recordPaymentEvent(
          tx,
          {
            order: v.order,
            kind: "notify",
            outTradeNo: params.out_trade_no ?? "",
            tradeStatus: params.trade_status?.slice(0, 40) ?? null,
            tradeNo: params.trade_no?.slice(0, 64) ?? null,
            amountFen: tryYuanToFen(params.total_amount),
            verified: v.signed,
            outcome: `rejected:${v.code}`,
            raw: params,
          },
          clock,
        ),
      );
      log.warn({ code: v.code, outTradeNo: params.out_trade_no }, "alipay notify rejected");
      metrics.alipayNotifications.inc({ outcome: `rejected:${v.code}` });
      return "fail";
    }
    const handler = HANDLERS[params.trade_status ?? ""] ?? recordOnly;
    await handler(db, pay, v, params, clock);
    metrics.alipayNotifications.inc({ outcome: "success" });
    return "success";
  } catch (e) {
    log.error({ err: e, outTradeNo: params.out_trade_no }, "alipay notify not stored");
    metrics.alipayNotifications.inc({ outcome: "fail" });
    return "fail";
  }
}
