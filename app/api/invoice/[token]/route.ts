import { InvoiceLinkRequest } from "@/lib/api/invoice";
import { parseWith, route } from "@/lib/http/route";
import { InvoiceDetails, saveInvoiceByLink } from "@/lib/payments/invoice";

/** 开票信息 through the order's invoice link (sent with the payment mail): the link's token is the authority. */
export const POST = route(
  { body: InvoiceLinkRequest, idempotency: "invoice.link" },
  async ({ db, body, params, actor, clock, locale, config }) => {
    const details = parseWith(InvoiceDetails, body.details ?? {}, locale);
    return saveInvoiceByLink(db, { token: String(params.token), details, actor, clock, keys: config });
  },
);
