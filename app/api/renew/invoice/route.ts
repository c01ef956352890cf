import { InvoiceRequest } from "@/lib/api/renew";
import { parseWith, route } from "@/lib/http/route";
import { InvoiceDetails } from "@/lib/payments/invoice";
import { saveInvoiceDetails, skipInvoice } from "@/lib/renewal/flow";
import { holderCertificateId } from "../_holder";

/** 开票信息 after payment, or 跳过. */
export const POST = route(
  { session: "holder", requireSession: true, body: InvoiceRequest, idempotency: "renew.invoice" },
  async ({ db, session, body, actor, clock, locale, config }) => {
    const certificateId = holderCertificateId(session);
    if (body.skip)
      return skipInvoice(db, { sessionId: session!.id, certificateId, orderId: body.orderId, keys: config });
    const details = parseWith(InvoiceDetails, body.details ?? {}, locale);
    return saveInvoiceDetails(db, { certificateId, orderId: body.orderId, details, actor, clock, keys: config });
  },
);
