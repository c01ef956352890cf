import { CreateBatchRequest, type BatchCreatedResponse } from "@/lib/api/org";
import { createBatch } from "@/lib/org/batch";
import { orgRoute } from "../_org";

/** 统一支付所选 / 标记为合同覆盖. */
export const POST = orgRoute(
  { body: CreateBatchRequest, idempotency: "org.batch" },
  async ({ db, clock, body, organisation, actor, session }) => {
    const cert = await db.certificate.findUniqueOrThrow({ where: { id: session!.certificateId! } });
    const batch = await createBatch(db, {
      organisation,
      serials: body.serials,
      kind: body.kind,
      actor,
      createdBy: `org:${cert.serial}`,
      clock,
    });
    return { batchNo: batch.batchNo, state: batch.state, totalFen: batch.totalFen } satisfies BatchCreatedResponse;
  },
);
