import { z } from "zod";
import { SETTING_KEYS, updateSetting } from "@/lib/settings/policy";
import { staffRoute } from "@/lib/staff/route";

const Update = z.object({ key: z.enum(SETTING_KEYS as [string, ...string[]]), value: z.unknown() });

export const PUT = staffRoute("PUT /api/staff/settings", { body: Update }, async (ctx) => {
  const row = await updateSetting(
    ctx.db,
    ctx.body.key as (typeof SETTING_KEYS)[number],
    ctx.body.value,
    ctx.actor,
    ctx.clock,
  );
  return { key: row.key, value: row.value };
});
