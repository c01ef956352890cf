import { z } from "zod";
import { changeStaffUser, Role } from "@/lib/staff/users";
import { staffRoute } from "@/lib/staff/route";

const Change = z.discriminatedUnion("kind", [
  z.object({ kind: z.literal("disable") }),
  z.object({ kind: z.literal("enable") }),
  z.object({ kind: z.literal("unlock") }),
  z.object({ kind: z.literal("role"), role: Role }),
  z.object({ kind: z.literal("password"), password: z.string().max(256) }),
]);

export const PATCH = staffRoute("PATCH /api/staff/users/[id]", { body: Change }, async (ctx) => ({
  user: await changeStaffUser(ctx.db, String(ctx.params.id), ctx.body, ctx.actor, ctx.clock),
}));
