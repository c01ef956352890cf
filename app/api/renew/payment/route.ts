import { OrderRef, PaymentStatusQuery, type PaymentStartedResponse, type PaymentStatusResponse } from "@/lib/api/renew";
import { SECOND } from "@/lib/clock";
import { getOpenDb } from "@/lib/db";
import { watchOrder } from "@/lib/orders/changes";
import { route } from "@/lib/http/route";
import { startPayment } from "@/lib/payments/alipay/precreate";
import { settleByPoll } from "@/lib/payments/alipay/query";
import { RELEASES_CERTIFICATE } from "@/lib/orders/machine";
import { orderStatus, ownOrder, requireOpenOrder, stepFor } from "@/lib/renewal/flow";
import { holderCertificateId, invoiceSkipped } from "../_holder";

/** Opens (or shows again) the Alipay QR trade of the holder's order. */
export const POST = route(
  { session: "holder", requireSession: true, body: OrderRef, idempotency: "renew.payment" },
  async ({ db, session, body, clock, alipay, config }) => {
    const order = await requireOpenOrder(db, holderCertificateId(session), body.orderId);
    const p = await startPayment(db, { alipay, links: config }, { orderId: order.id, clock });
    return {
      qrCode: p.qrCode,
      qrSvg: p.qrSvg,
      amountFen: p.amountFen,
      orderNo: p.orderNo,
      deadline: p.deadline.toISOString(),
    } satisfies PaymentStartedResponse;
  },
);

/**
 * The page's live status; asks Alipay about the trade now and then (settleByPoll) and settles it when paid. With
 * `wait`, an order still awaiting payment is answered once it moves (the notification, on any instance, wakes
 * this request: lib/orders/changes.ts) or after `wait` seconds.
 */
export const GET = route(
  { session: "holder", requireSession: true, query: PaymentStatusQuery },
  async ({ db, session, query, clock, config, alipay, req }) => {
    const certificateId = holderCertificateId(session);
    const pay = { alipay, links: config };
    // watching starts before the read, so a payment landing between the two still wakes this request
    const watch = query.wait ? await watchOrder(await getOpenDb(), query.orderId) : undefined;
    try {
      let order = await requireOpenOrder(db, certificateId, query.orderId);
      let settled = await settleByPoll(db, pay, order, clock);
      if (settled.state === "awaiting_payment" && watch && (await watch.changed(query.wait! * SECOND, req.signal))) {
        // it may have left the open orders too (expired, cancelled): the page shows that
        order = await ownOrder(db, certificateId, query.orderId);
        settled = { state: order.state, paid: order.paidAt !== null };
      }
      // still waiting (every poll but the last), or over without payment: the page stays or says so
      if (settled.state === "awaiting_payment" || RELEASES_CERTIFICATE.has(settled.state))
        return { state: settled.state, paid: settled.paid, step: stepFor(order) } satisfies PaymentStatusResponse;
      const status = await orderStatus(db, {
        certificateId,
        invoiceSkipped: invoiceSkipped(session, order.id),
        keys: config,
      });
      return { state: settled.state, paid: settled.paid, step: status.step } satisfies PaymentStatusResponse;
    } finally {
      watch?.stop();
    }
  },
);
