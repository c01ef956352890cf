import { z } from "zod";
import { markHandledInPerson } from "@/lib/staff/orders";
import { staffRoute } from "@/lib/staff/route";

const Reason = z.object({ reason: z.string().trim().min(1).max(500) });

export const POST = staffRoute("POST /api/staff/orders/[id]/in-person", { body: Reason }, async (ctx) => {
  const order = await markHandledInPerson(ctx.db, {
    orderId: String(ctx.params.id),
    reason: ctx.body.reason,
    actor: ctx.actor,
    clock: ctx.clock,
    pay: { alipay: ctx.alipay, links: ctx.config },
  });
  return { state: order.state };
});
