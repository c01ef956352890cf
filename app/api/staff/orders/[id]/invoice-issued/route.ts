import { markInvoiceIssued } from "@/lib/payments/invoice";
import { staffRoute } from "@/lib/staff/route";

export const POST = staffRoute("POST /api/staff/orders/[id]/invoice-issued", {}, async (ctx) => {
  const invoice = await markInvoiceIssued(ctx.db, {
    orderId: String(ctx.params.id),
    actor: ctx.actor,
    clock: ctx.clock,
  });
  return { issuedAt: invoice.issuedAt };
});
