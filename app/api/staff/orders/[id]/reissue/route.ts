import { z } from "zod";
import { reissueStuckOrder } from "@/lib/staff/orders";
import { staffRoute } from "@/lib/staff/route";

const Reason = z.object({ reason: z.string().trim().min(1).max(500) });

export const POST = staffRoute("POST /api/staff/orders/[id]/reissue", { body: Reason }, async (ctx) => {
  const order = await reissueStuckOrder(ctx.db, {
    orderId: String(ctx.params.id),
    reason: ctx.body.reason,
    actor: ctx.actor,
    clock: ctx.clock,
    ca: ctx.ca,
  });
  return { state: order.state };
});
