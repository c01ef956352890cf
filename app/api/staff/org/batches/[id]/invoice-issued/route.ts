import { z } from "zod";
import { InvoiceIssuedRequest } from "@/lib/api/org";
import { markBatchInvoiceIssued } from "@/lib/org/invoice-issued";
import { staffRoute } from "@/lib/staff/route";
import { parseWith } from "@/lib/http/route";

/** orgstaff (#24): finance marks a paid batch's invoice as issued (its number optional), audited. */
export const POST = staffRoute(
  "POST /api/staff/org/batches/[id]/invoice-issued",
  { body: InvoiceIssuedRequest },
  async (ctx) => {
    const { id } = parseWith(z.object({ id: z.uuid() }), ctx.params, ctx.locale);
    const batch = await markBatchInvoiceIssued(ctx.db, {
      batchId: id,
      invoiceNo: ctx.body.invoiceNo,
      actor: ctx.actor,
      clock: ctx.clock,
    });
    return { invoiceIssuedAt: batch.invoiceIssuedAt?.toISOString() ?? null, invoiceNo: batch.invoiceNo };
  },
);
