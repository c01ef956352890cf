import { z } from "zod";
import { startRefund } from "@/lib/payments/alipay/refund";
import { staffRoute } from "@/lib/staff/route";

const Refund = z.object({ reason: z.string().trim().min(1).max(200) });

export const POST = staffRoute("POST /api/staff/orders/[id]/refund", { body: Refund }, async (ctx) => {
  const refund = await startRefund(
    ctx.db,
    { alipay: ctx.alipay, links: ctx.config },
    {
      orderId: String(ctx.params.id),
      reason: ctx.body.reason,
      actor: ctx.actor,
      clock: ctx.clock,
    },
  );
  return { refundId: refund.id, state: refund.state };
});
