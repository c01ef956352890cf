import { z } from "zod";
import type { cancelOrderByStaff } from "@/lib/staff/orders";
import type { StaffContext } from "@/lib/staff/route";

export const Reason = z.object({ reason: z.string().trim().min(1).max(500) });

/**
 * The handler of a staff action that ends an unpaid order with the staff member's reason, closing its Alipay trade
 * (cancel, handled in person): answers the order's new state.
 */
export function unpaidOrderAction(action: typeof cancelOrderByStaff) {
  return async (ctx: StaffContext<z.infer<typeof Reason>, undefined>) => {
    const order = await action(ctx.db, {
      orderId: String(ctx.params.id),
      reason: ctx.body.reason,
      actor: ctx.actor,
      clock: ctx.clock,
      pay: { alipay: ctx.alipay, links: ctx.config },
    });
    return { state: order.state };
  };
}
