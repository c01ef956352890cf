import { z } from "zod";
import { parseWith, route } from "@/lib/http/route";
import { InvoiceDetails, saveInvoiceByLink } from "@/lib/payments/invoice";

const Body = z.object({ details: z.unknown() });

/** 开票信息 through the order's invoice link (sent with the payment mail): the link's token is the authority. */
export const POST = route(
  { body: Body, idempotency: "invoice.link" },
  async ({ db, body, params, actor, clock, locale }) => {
    const details = parseWith(InvoiceDetails, body.details ?? {}, locale);
    return saveInvoiceByLink(db, { token: String(params.token), details, actor, clock });
  },
);
