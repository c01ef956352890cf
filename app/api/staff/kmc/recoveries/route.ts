import { z } from "zod";
import { listRecoveries, requestRecovery } from "@/lib/kmc/recovery";
import { staffRoute } from "@/lib/staff/route";

const RecoveryRequest = z.object({
  serial: z
    .string()
    .trim()
    .regex(/^[0-9a-fA-F:]{2,80}$/),
  reason: z.string().trim().min(1).max(500),
});

/** Key recovery requests (dual certificates): the list, and a new request by one staff member. */
export const GET = staffRoute("GET /api/staff/kmc/recoveries", {}, async (ctx) => ({
  recoveries: (await listRecoveries(ctx.db)).map((r) => ({
    id: r.id,
    state: r.state,
    reason: r.reason,
    serial: r.kmcKey.certificate?.serial ?? null,
    holderName: r.kmcKey.certificate?.holderName ?? null,
    requestedById: r.requestedById,
    holderCertificateId: r.holderCertificateId,
    endorsedById: r.endorsedById,
    approvedById: r.approvedById,
    createdAt: r.createdAt.toISOString(),
  })),
}));

export const POST = staffRoute("POST /api/staff/kmc/recoveries", { body: RecoveryRequest }, async (ctx) => {
  const r = await requestRecovery(ctx.db, {
    serial: ctx.body.serial,
    reason: ctx.body.reason,
    actor: { ...ctx.actor, id: ctx.staff.id },
    clock: ctx.clock,
  });
  return { id: r.id, state: r.state };
});
