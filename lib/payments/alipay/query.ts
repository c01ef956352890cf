import type { OrderState, RenewalOrder } from "../../generated/prisma/client";
import type { Db } from "../../db";
import { SECOND, type Clock } from "../../clock";
import { DomainError } from "../../errors";
import { log } from "../../log";
import { transitionOrder } from "../../orders/machine";
import { alipayExec, type PaymentDeps } from "./client";
import { isPaidStatus, retryOnConflict, settleFromQuery } from "./settle";
import { closeTradeBeforeCancel } from "./close";
import { retryPendingRefunds } from "./refund";
import { withSqlTx } from "../../audit";
import { hitRateLimit } from "../../ratelimit";
import { uniqueRow, rowOrThrow } from "../../db/lean";

/** An order's state after a question to Alipay, and whether it is paid. */
type Settled = { state: OrderState; paid: boolean };

/**
 * Asks Alipay about an order still waiting for payment (the holder's page polls this; the sweep runs it for
 * orders whose notification is late or lost) and settles it when the trade is paid. Returns the order's state.
 */
export async function settleByQuery(db: Db, pay: PaymentDeps, orderId: string, clock: Clock): Promise<Settled> {
  const order = await uniqueRow(db, "RenewalOrder", "id", orderId);
  if (!order) throw new DomainError("ORDER_NOT_FOUND");
  return settleOrderByQuery(db, pay, order, clock);
}

/** settleByQuery for an order as just read. */
async function settleOrderByQuery(db: Db, pay: PaymentDeps, order: RenewalOrder, clock: Clock): Promise<Settled> {
  if (order.state !== "awaiting_payment") return { state: order.state, paid: order.paidAt !== null };
  // no QR code shown yet: Alipay cannot know this order, and the page may poll often
  if (!(await qrShown(db, order.id))) return { state: order.state, paid: false };
  const r = await alipayExec(pay.alipay(), "alipay.trade.query", { out_trade_no: order.orderNo });
  if (isPaidStatus(r)) await settleFromQuery(db, pay, order, r, "query", clock);
  const after = await rowOrThrow(uniqueRow(db, "RenewalOrder", "id", order.id));
  return { state: after.state, paid: after.paidAt !== null };
}

/**
 * How often the holder's page (one status request held up to 10 s, then the next) and the payments sweep may make
 * the portal ask Alipay about one order: the notification settles a paid order within moments; the question is for
 * a notification that is late or lost, and asked on every request it would be a signed gateway call per holder every
 * few seconds.
 */
export const POLL_QUERY_INTERVAL_MS = 10 * SECOND;

/**
 * How long after the QR code is shown the portal first asks Alipay about the order (the page and the sweep alike).
 * Scanning the code and paying on the phone takes a holder 10–30 s, and the notification comes within a second of
 * the payment, so a question before then finds the trade unpaid or paid and already settled; a lost notification
 * is settled from here on, every POLL_QUERY_INTERVAL_MS.
 */
export const POLL_FIRST_QUERY_MS = 30 * SECOND;

const pollQueryKey = (orderId: string) => `alipay-query:${orderId}`;

/** Counts one question about the order in its window; false when one was already asked in it. */
async function mayAskAlipay(
  db: Db,
  orderId: string,
  clock: Clock,
  windowMs = POLL_QUERY_INTERVAL_MS,
): Promise<boolean> {
  try {
    await hitRateLimit(db, pollQueryKey(orderId), { max: 1, windowMs }, clock);
    return true;
  } catch (e) {
    if (e instanceof DomainError && e.code === "RATE_LIMITED") return false;
    throw e;
  }
}

/** The QR code was just shown: nobody asks Alipay about the order for POLL_FIRST_QUERY_MS. */
export async function holdPollQueries(db: Db, orderId: string, clock: Clock): Promise<void> {
  await mayAskAlipay(db, orderId, clock, POLL_FIRST_QUERY_MS);
}

/**
 * The holder's page polling its order (as just read): its state, and settleByQuery at most once per
 * POLL_QUERY_INTERVAL_MS per order, counted in the database (every instance shares the count).
 */
export async function settleByPoll(db: Db, pay: PaymentDeps, order: RenewalOrder, clock: Clock): Promise<Settled> {
  if (order.state === "awaiting_payment" && !(await mayAskAlipay(db, order.id, clock)))
    return { state: order.state, paid: false };
  return settleOrderByQuery(db, pay, order, clock);
}

function qrShown(db: Db, orderId: string): Promise<boolean> {
  return db.paymentEvent.count({ where: { orderId, kind: "precreate", outcome: "applied" } }).then((n) => n > 0);
}

async function expireOrder(db: Db, order: RenewalOrder, clock: Clock): Promise<void> {
  await retryOnConflict(() =>
    withSqlTx(db, async (tx) => {
      const o = await rowOrThrow(uniqueRow(tx, "RenewalOrder", "id", order.id));
      if (o.state !== "awaiting_payment") return;
      await transitionOrder(tx, {
        orderId: o.id,
        to: "expired",
        actor: { type: "system", id: "payments-sweep" },
        clock,
        expectVersion: o.version,
        action: "payment.expired",
      });
    }),
  );
}

/**
 * The payments sweep: orders in awaiting_payment whose QR code was shown are queried (a lost notification is
 * settled here), within the same per-order budget as the page's questions (none in the first POLL_FIRST_QUERY_MS,
 * then one per POLL_QUERY_INTERVAL_MS); past their deadline the trade is closed and the order expires, whatever the
 * budget. Pending refunds are retried.
 */
export async function sweepPayments(
  db: Db,
  pay: PaymentDeps,
  clock: Clock,
  limit = 200,
): Promise<{ checked: number; expired: number; refunds: number }> {
  const orders = await db.renewalOrder.findMany({
    where: { state: "awaiting_payment" },
    orderBy: { updatedAt: "asc" },
    take: limit,
  });
  let expired = 0;
  for (const order of orders) {
    try {
      const pastDeadline = order.paymentDeadline !== null && order.paymentDeadline <= clock.now();
      if (await qrShown(db, order.id)) {
        if (!pastDeadline && !(await mayAskAlipay(db, order.id, clock))) continue;
        const { state } = await settleByQuery(db, pay, order.id, clock);
        if (state !== "awaiting_payment" || !pastDeadline) continue;
        if ((await closeTradeBeforeCancel(db, pay, order, clock)) === "paid") continue;
      } else if (!pastDeadline) {
        continue;
      }
      await expireOrder(db, order, clock);
      expired++;
    } catch (e) {
      log.warn({ err: e, orderId: order.id }, "payments sweep: order skipped");
    }
  }
  const refunds = await retryPendingRefunds(db, pay, clock);
  return { checked: orders.length, expired, refunds };
}
