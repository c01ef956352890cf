import { z } from "zod";
import { UNMASKABLE, unmaskOrderField } from "@/lib/staff/orders";
import { staffRoute } from "@/lib/staff/route";

const Unmask = z.object({ field: z.enum(UNMASKABLE), reason: z.string().trim().min(1).max(500) });

export const POST = staffRoute("POST /api/staff/orders/[id]/unmask", { body: Unmask }, async (ctx) => ({
  value: await unmaskOrderField(ctx.db, {
    orderId: String(ctx.params.id),
    ...ctx.body,
    actor: ctx.actor,
    clock: ctx.clock,
    keys: ctx.config,
  }),
}));
