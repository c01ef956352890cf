import { OrderRef, PaymentStatusQuery, type PaymentStartedResponse, type PaymentStatusResponse } from "@/lib/api/renew";
import { SECOND } from "@/lib/clock";
import { getOpenDb } from "@/lib/db";
import { route } from "@/lib/http/route";
import { startPayment } from "@/lib/payments/alipay/precreate";
import { requireOpenOrder } from "@/lib/renewal/flow";
import { paymentStatus } from "@/lib/renewal/payment-status";
import { holderCertificateId, invoiceSkipped } from "../_holder";

/** Opens (or shows again) the Alipay QR trade of the holder's order. */
export const POST = route(
  { session: "holder", requireSession: true, body: OrderRef, idempotency: "renew.payment" },
  async ({ db, session, body, clock, alipay, config }) => {
    const order = await requireOpenOrder(db, holderCertificateId(session), body.orderId);
    const p = await startPayment(db, { alipay, links: config }, { orderId: order.id, clock, order });
    return {
      qrCode: p.qrCode,
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
    return (await paymentStatus(
      db,
      { alipay, links: config },
      { certificateId, orderId: query.orderId, invoiceSkipped: invoiceSkipped(session, query.orderId), wait },
      clock,
    )) satisfies PaymentStatusResponse;
  },
);
