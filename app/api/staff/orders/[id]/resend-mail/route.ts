import { z } from "zod";
import { resendOrderMail } from "@/lib/staff/orders";
import { staffRoute } from "@/lib/staff/route";

const Resend = z.object({ mailId: z.uuid(), reason: z.string().trim().min(1).max(500) });

export const POST = staffRoute("POST /api/staff/orders/[id]/resend-mail", { body: Resend }, async (ctx) => {
  const mail = await resendOrderMail(ctx.db, {
    orderId: String(ctx.params.id),
    ...ctx.body,
    actor: ctx.actor,
    clock: ctx.clock,
  });
  return { mailId: mail.id };
});
