import { z } from "zod";
import { CONTENT_KEYS, updateContent } from "@/lib/content/store";
import { staffRoute } from "@/lib/staff/route";

const Update = z.object({
  key: z.enum(CONTENT_KEYS),
  locale: z.enum(["zh-CN", "en"]),
  text: z.string().max(200_000).optional(),
  reset: z.literal(true).optional(),
});

/** Saves a content entry (validated, audited) or resets it to the default. */
export const PUT = staffRoute("PUT /api/staff/content", { body: Update, maxBodyBytes: 256 * 1024 }, async (ctx) => {
  const view = await updateContent(ctx.db, { ...ctx.body, actor: ctx.actor, clock: ctx.clock });
  return { key: view.key, locale: view.locale, value: view.value };
});
