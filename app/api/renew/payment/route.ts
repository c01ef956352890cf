import { OrderRef, type PaymentStartedResponse, type PaymentStatusResponse } from "@/lib/api/renew";
import { route } from "@/lib/http/route";
import { startPayment } from "@/lib/payments/alipay/precreate";
import { settleByPoll } from "@/lib/payments/alipay/query";
import { orderStatus, requireOpenOrder, stepFor } from "@/lib/renewal/flow";
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

/** The page's live status; asks Alipay about the trade now and then (settleByPoll) and settles it when paid. */
export const GET = route(
  { session: "holder", requireSession: true, query: OrderRef },
  async ({ db, session, query, clock, config, alipay }) => {
    const certificateId = holderCertificateId(session);
    const order = await requireOpenOrder(db, certificateId, query.orderId);
    const settled = await settleByPoll(db, { alipay, links: config }, order, clock);
    // still waiting (every poll but the last): the page stays where it is
    if (settled.state === "awaiting_payment")
      return { state: settled.state, paid: false, step: stepFor(order) } satisfies PaymentStatusResponse;
    const status = await orderStatus(db, {
      certificateId,
      invoiceSkipped: invoiceSkipped(session, order.id),
      keys: config,
    });
    return { state: settled.state, paid: settled.paid, step: status.step } satisfies PaymentStatusResponse;
  },
);
