import { z } from "zod";
import { exportHolderData } from "@/lib/staff/holder-export";
import { staffRoute } from "@/lib/staff/route";

const ExportRequest = z.object({ reason: z.string().trim().min(1).max(500) });

/** A holder's personal data on request (PIPL): the whole export as JSON text, audited with the reason. */
export const POST = staffRoute("POST /api/staff/orders/[id]/holder-export", { body: ExportRequest }, async (ctx) => {
  const data = await exportHolderData(ctx.db, {
    orderId: String(ctx.params.id),
    reason: ctx.body.reason,
    actor: ctx.actor,
    clock: ctx.clock,
    keys: ctx.config,
  });
  return { value: JSON.stringify(data, null, 2) };
});
