import type { Db, OpenDb } from "../db";
import type { Clock } from "../clock";
import type { OrderState, RenewalOrder } from "../generated/prisma/client";
import type { PaymentDeps } from "../payments/alipay/client";
import { settleByPoll } from "../payments/alipay/query";
import { watchOrder } from "../orders/changes";
import { ownOrder, requireOpenOrder, stepFor, type WizardStep } from "./flow";
import { sqlRows } from "../db/lean";

/** The payment page holding its request until the order moves: on this database, for at most `ms`. */
export interface PaymentWait {
  open: OpenDb;
  ms: number;
  signal?: AbortSignal;
}

/**
 * The payment page's status of the holder's open order: settleByPoll (asks Alipay now and then, settles a paid
 * trade), and with `wait` an order still awaiting payment is answered once it moves — the notification, on any
 * instance, wakes it (lib/orders/changes.ts) — or when the wait is over. A woken order is read again whether or not
 * it is still open (expired and cancelled orders leave the open ones). `step` is where the wizard goes from there:
 * a paid order to the invoice, or to 下证 when the invoice is given or was skipped (`invoiceSkipped`).
 */
export async function paymentStatus(
  db: Db,
  pay: PaymentDeps,
  args: { certificateId: string; orderId: string; invoiceSkipped: boolean; wait?: PaymentWait },
  clock: Clock,
): Promise<{ state: OrderState; paid: boolean; step: WizardStep }> {
  const { order, state, paid } = await settledStatus(db, pay, args, clock);
  const invoiceDone =
    state === "paid" &&
    (args.invoiceSkipped ||
      (await sqlRows(db, `SELECT 1 AS "given" FROM "Invoice" WHERE "orderId" = $1`, [order.id])).length > 0);
  return { state, paid, step: stepFor({ state, priceFen: order.priceFen }, { invoiceDone }) };
}

async function settledStatus(
  db: Db,
  pay: PaymentDeps,
  args: { certificateId: string; orderId: string; wait?: PaymentWait },
  clock: Clock,
): Promise<{ order: RenewalOrder; state: OrderState; paid: boolean }> {
  const { certificateId, orderId, wait } = args;
  // watching starts before the read, so a payment landing between the two still wakes this request
  const watch = wait ? await watchOrder(wait.open, orderId) : undefined;
  try {
    const order = await requireOpenOrder(db, certificateId, orderId);
    const settled = await settleByPoll(db, pay, order, clock);
    if (settled.state === "awaiting_payment" && wait && watch && (await watch.changed(wait.ms, wait.signal))) {
      const now = await ownOrder(db, certificateId, orderId);
      return { order: now, state: now.state, paid: now.paidAt !== null };
    }
    return { order, ...settled };
  } finally {
    watch?.stop();
  }
}
