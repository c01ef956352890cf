import { COOKIE } from "@/lib/session";
import { signOutEverywhere } from "@/lib/staff/auth";
import { staffRoute } from "@/lib/staff/route";
import { withTx } from "@/lib/audit";

/** Sign out everywhere: every session of the signed-in account ends, this one included. */
export const DELETE = staffRoute("DELETE /api/staff/sessions", {}, async (ctx) => {
  const sessions = await withTx(ctx.db, (tx) => signOutEverywhere(tx, ctx.staff.id, ctx.actor, ctx.clock));
  ctx.setCookie(COOKIE.staff, "", { maxAgeSeconds: 0 });
  return { sessions };
});
