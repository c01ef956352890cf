import { BatchRef, type BatchStartedResponse } from "@/lib/api/org";
import { startBatchPayment } from "@/lib/org/batch";
import { orgRoute } from "../../_org";

/** The batch's Alipay QR code (one trade for the whole batch). */
export const POST = orgRoute({ body: BatchRef }, async ({ db, clock, body, organisation, alipay, config }) => {
  const p = await startBatchPayment(
    db,
    { alipay, links: config },
    {
      organisationId: organisation.id,
      batchNo: body.batchNo,
      clock,
    },
  );
  return { ...p, deadline: p.deadline.toISOString() } satisfies BatchStartedResponse;
});
