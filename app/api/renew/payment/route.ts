import { OrderRef, PaymentStatusQuery, type PaymentStartedResponse, type PaymentStatusResponse } from "@/lib/api/renew";
import { SECOND } from "@/lib/clock";
import { getOpenDb } from "@/lib/db";
import { route } from "@/lib/http/route";
import { startPayment } from "@/lib/payments/alipay/precreate";
import { RELEASES_CERTIFICATE } from "@/lib/orders/machine";
import { orderView, requireOpenOrder, stepFor } from "@/lib/renewal/flow";
import { paymentStatus } from "@/lib/renewal/payment-status";
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

/** The page's live status (paymentStatus); with `wait`, held up to that many seconds until the order moves. */
export const GET = route(
  { session: "holder", requireSession: true, query: PaymentStatusQuery },
  async ({ db, session, query, clock, config, alipay, req }) => {
    const certificateId = holderCertificateId(session);
    const wait = query.wait ? { open: await getOpenDb(), ms: query.wait * SECOND, signal: req.signal } : undefined;
    const { order, state, paid } = await paymentStatus(
      db,
      { alipay, links: config },
      { certificateId, orderId: query.orderId, wait },
      clock,
    );
    // still waiting (every poll but the last), or over without payment: the page stays or says so
    if (state === "awaiting_payment" || RELEASES_CERTIFICATE.has(state))
      return { state, paid, step: stepFor(order) } satisfies PaymentStatusResponse;
    // paid: the invoice step, or 下证 when the invoice is already given or skipped
    const view = await orderView(db, config, order, { invoiceSkipped: invoiceSkipped(session, order.id) });
    return { state, paid, step: view.step } satisfies PaymentStatusResponse;
  },
);
