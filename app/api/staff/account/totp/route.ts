import { z } from "zod";
import QRCode from "qrcode";
import { confirmTotp, disableTotp, startTotp } from "@/lib/staff/users";
import { staffRoute } from "@/lib/staff/route";

const Code = z.object({ code: z.string().regex(/^\d{6}$/) });

/** Step 1: a new secret and its QR code; nothing is stored until step 2 proves the app has it. */
export const POST = staffRoute("POST /api/staff/account/totp", {}, async (ctx) => {
  const { secret, uri } = startTotp(ctx.staff);
  return { secret, uri, qr: await QRCode.toDataURL(uri, { margin: 1, width: 220 }) };
});

export const PUT = staffRoute(
  "PUT /api/staff/account/totp",
  { body: Code.extend({ secret: z.string().max(64) }) },
  async (ctx) => {
    await confirmTotp(ctx.db, ctx.config, ctx.staff.id, ctx.body.secret, ctx.body.code, ctx.actor, ctx.clock);
    return { ok: true };
  },
);

export const DELETE = staffRoute("DELETE /api/staff/account/totp", { body: Code }, async (ctx) => {
  await disableTotp(ctx.db, ctx.config, ctx.staff.id, ctx.body.code, ctx.actor, ctx.clock);
  return { ok: true };
});
