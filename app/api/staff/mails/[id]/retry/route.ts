import { retryMail } from "@/lib/staff/mails";
import { staffRoute } from "@/lib/staff/route";

export const POST = staffRoute("POST /api/staff/mails/[id]/retry", {}, async (ctx) => {
  await retryMail(ctx.db, { mailId: String(ctx.params.id), actor: ctx.actor, clock: ctx.clock });
  return { mailId: String(ctx.params.id) };
});
