import { BatchInvoiceRequest } from "@/lib/api/org";
import { saveBatchInvoice } from "@/lib/org/batch";
import { orgRoute } from "../../_org";

/** 开票信息 for the whole batch: one invoice. */
export const POST = orgRoute({ body: BatchInvoiceRequest }, async ({ db, clock, body, organisation, actor }) => {
  const saved = await saveBatchInvoice(db, {
    organisationId: organisation.id,
    batchNo: body.batchNo,
    details: body.details,
    actor,
    clock,
  });
  return { batchNo: saved.batchNo, email: saved.invoiceEmail };
});
