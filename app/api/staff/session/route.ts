import { z } from "zod";
import { COOKIE, TIMEOUTS } from "@/lib/session";
import { signIn, signOut } from "@/lib/staff/auth";
import { staffPublicRoute, staffRoute } from "@/lib/staff/route";

const SignIn = z.object({
  username: z.string().max(64),
  password: z.string().min(1).max(256),
  otp: z.preprocess((v) => (v === "" ? undefined : v), z.string().max(10).optional()),
});

export const POST = staffPublicRoute("POST /api/staff/session", { body: SignIn }, async (ctx) => {
  const { token, user } = await signIn(
    ctx.db,
    ctx.config,
    { ...ctx.body, ip: ctx.actor.ip, userAgent: ctx.actor.userAgent },
    ctx.clock,
  );
  ctx.setCookie(COOKIE.staff, token, { maxAgeSeconds: Math.floor(TIMEOUTS.staff.absoluteMs / 1000) });
  return { user };
});

export const DELETE = staffRoute("DELETE /api/staff/session", {}, async (ctx) => {
  await signOut(ctx.db, ctx.session!.id, ctx.actor, ctx.clock);
  ctx.setCookie(COOKIE.staff, "", { maxAgeSeconds: 0 });
  return { ok: true };
});
