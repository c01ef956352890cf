import { BatchRef, type BatchStatusResponse } from "@/lib/api/org";
import { loadBatch } from "@/lib/org/batch";
import { settleBatchByQuery } from "@/lib/org/settle";
import { orgRoute } from "../../_org";

/** The pay page polls this: the batch's state, asking Alipay while it still waits. */
export const GET = orgRoute({ query: BatchRef }, async ({ db, clock, query, organisation, alipay, config }) => {
  const batch = await loadBatch(db, organisation.id, query.batchNo);
  const now = await settleBatchByQuery(db, { alipay, links: config }, batch, clock);
  return { batchNo: now.batchNo, state: now.state } satisfies BatchStatusResponse;
});
