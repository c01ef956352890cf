import { z } from "zod";

/**
 * The HTTP contract of /api/invoice/<token> (开票信息 through the order's invoice link). zod only. `details` is
 * checked by the route with InvoiceDetails of lib/payments/invoice-details.ts.
 */

export const InvoiceLinkRequest = z.object({ details: z.unknown() });

/** What the invoice page shows after saving: the order, and the details given so far (e-mail masked). */
export const InvoiceLinkResponse = z.object({
  orderNo: z.string(),
  paidFen: z.number().int(),
  paidAt: z.string().nullable(),
  open: z.boolean(),
  invoice: z
    .object({
      type: z.string(),
      title: z.string(),
      taxpayerId: z.string().nullable(),
      email: z.string(),
      emailPending: z.boolean(),
      issued: z.boolean(),
    })
    .nullable(),
});
export type InvoiceLinkResponse = z.infer<typeof InvoiceLinkResponse>;
