import { z } from "zod";
import { decideRecovery } from "@/lib/kmc/recovery";
import { staffRoute } from "@/lib/staff/route";

const Decision = z.object({ approve: z.boolean() });

/** The second staff member's decision on a key recovery request (never the requester's own). */
export const POST = staffRoute("POST /api/staff/kmc/recoveries/[id]/decision", { body: Decision }, async (ctx) => {
  const r = await decideRecovery(ctx.db, {
    id: String(ctx.params.id),
    approve: ctx.body.approve,
    actor: { ...ctx.actor, id: ctx.staff.id },
    clock: ctx.clock,
  });
  return { id: r.id, state: r.state };
});
