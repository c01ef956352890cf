import { z } from "zod";
import { addOrderNote } from "@/lib/staff/orders";
import { staffRoute } from "@/lib/staff/route";

const Note = z.object({ note: z.string().trim().min(1).max(500) });

export const POST = staffRoute("POST /api/staff/orders/[id]/note", { body: Note }, async (ctx) => {
  const event = await addOrderNote(ctx.db, {
    orderId: String(ctx.params.id),
    note: ctx.body.note,
    actor: ctx.actor,
    clock: ctx.clock,
  });
  return { seq: event.seq };
});
