import { z } from "zod";
import type { Db, Tx } from "../db";
import type { Clock } from "../clock";
import type { Prisma } from "../generated/prisma/client";
import { appendAudit, actorFields, type Actor, withTx } from "../audit";
import { DomainError } from "../errors";
import {
  DEFAULT_PAYMENT_WINDOW_MINUTES,
  DEFAULT_REMINDER_DAYS,
  DEFAULT_STUCK_MINUTES,
  DEFAULT_WINDOW_DAYS,
  MIGRATE_RSA_TO_SM2_KEY,
  DEFAULT_HANDLER_RETENTION_DAYS,
  HANDLER_RETENTION_KEY,
  REMINDER_DAYS_KEY,
  ReminderDays,
} from ".";

/**
 * The policy settings an admin may change, each with its range and the default its reader falls back to.
 * Their readers and defaults are in lib/settings/index.ts; this module lists them for the admin and writes them,
 * validated and audited with the old and new value.
 */
/** "30, 14，7" as typed in the form → [30, 14, 7] */
function dayList(v: unknown): unknown {
  return typeof v === "string"
    ? v
        .split(/[\s,，]+/)
        .filter(Boolean)
        .map(Number)
    : v;
}

/** "是" / "on" / "true" / "1" as typed in the form → true, the opposites → false */
function yesNo(v: unknown): unknown {
  if (typeof v !== "string") return v;
  const t = v.trim().toLowerCase();
  if (["1", "true", "yes", "on", "是", "开"].includes(t)) return true;
  if (["0", "false", "no", "off", "否", "关"].includes(t)) return false;
  return v;
}

const SETTINGS = {
  "renewal.windowDays": { schema: z.coerce.number().int().min(1).max(90), fallback: DEFAULT_WINDOW_DAYS },
  "payment.windowMinutes": {
    schema: z.coerce.number().int().min(5).max(1440),
    fallback: DEFAULT_PAYMENT_WINDOW_MINUTES,
  },
  [REMINDER_DAYS_KEY]: { schema: z.preprocess(dayList, ReminderDays), fallback: [...DEFAULT_REMINDER_DAYS] },
  "orders.stuckMinutes": { schema: z.coerce.number().int().min(5).max(1440), fallback: DEFAULT_STUCK_MINUTES },
  [MIGRATE_RSA_TO_SM2_KEY]: { schema: z.preprocess(yesNo, z.boolean()), fallback: false },
  [HANDLER_RETENTION_KEY]: {
    schema: z.coerce.number().int().min(30).max(3650),
    fallback: DEFAULT_HANDLER_RETENTION_DAYS,
  },
} as const;

export type SettingKey = keyof typeof SETTINGS;
export const SETTING_KEYS = Object.keys(SETTINGS) as SettingKey[];

export async function listSettings(db: Tx) {
  const rows = await db.setting.findMany({ where: { key: { in: SETTING_KEYS } } });
  return SETTING_KEYS.map((key) => {
    const row = rows.find((r) => r.key === key);
    return {
      key,
      value: row?.value ?? SETTINGS[key].fallback,
      isDefault: !row,
      updatedAt: row?.updatedAt ?? null,
      updatedBy: row?.updatedBy ?? null,
    };
  });
}

export async function updateSetting(db: Db, key: SettingKey, raw: unknown, actor: Actor, clock: Clock) {
  const parsed = SETTINGS[key].schema.safeParse(raw);
  if (!parsed.success) throw new DomainError("STAFF_SETTING_INVALID", { key });
  const value = parsed.data as Prisma.InputJsonValue;
  return withTx(db, async (tx) => {
    const before = await tx.setting.findUnique({ where: { key } });
    const row = await tx.setting.upsert({
      where: { key },
      create: { key, value, updatedBy: actor.id ?? null, updatedAt: clock.now() },
      update: { value, updatedBy: actor.id ?? null, updatedAt: clock.now() },
    });
    await appendAudit(
      tx,
      {
        ...actorFields(actor),
        action: "setting.updated",
        targetType: "setting",
        targetId: key,
        data: { from: before?.value ?? null, to: value },
      },
      clock,
    );
    return row;
  });
}
