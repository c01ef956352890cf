import { z } from "zod";
import { createStaffUser, Role } from "@/lib/staff/users";
import { staffRoute } from "@/lib/staff/route";

const NewUser = z.object({
  username: z.string().max(64),
  password: z.string().max(256),
  role: Role,
  displayName: z.preprocess((v) => (v === "" ? undefined : v), z.string().trim().max(60).optional()),
});

export const POST = staffRoute("POST /api/staff/users", { body: NewUser }, async (ctx) => ({
  user: await createStaffUser(ctx.db, ctx.body, ctx.actor, ctx.clock),
}));
