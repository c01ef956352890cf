import { z } from "zod";
import type { Tx } from "../db";
import type { CertType } from "../generated/prisma/client";
import { log } from "../log";
import { sqlRows, type Sql } from "../db/lean";

/**
 * The `Setting` table: policy values an admin may change (lib/settings/policy.ts writes them), each read here with
 * the default its domain falls back to.
 */
export const DEFAULT_WINDOW_DAYS = 30;
export const DEFAULT_PAYMENT_WINDOW_MINUTES = 30;
export const DEFAULT_STUCK_MINUTES = 30;
export const REMINDER_DAYS_KEY = "reminders.days";
export const DEFAULT_REMINDER_DAYS: readonly number[] = [30, 14, 7, 3, 1];
/** national algorithms (issue 19): RSA holders get an SM2 key pair at renewal (lib/pki/profiles.ts) */
export const MIGRATE_RSA_TO_SM2_KEY = "renewal.migrateRsaToSm2";
/** reach (#24): days the handler's data is kept after an order ends, then anonymised (PIPL storage limitation) */
export const HANDLER_RETENTION_KEY = "privacy.handlerRetentionDays";
export const DEFAULT_HANDLER_RETENTION_DAYS = 1095;

export const ReminderDays = z
  .array(z.number().int().min(1).max(90))
  .min(1)
  .max(10)
  .refine((a) => new Set(a).size === a.length)
  .transform((a) => [...a].sort((x, y) => x - y));

const SETTINGS = `SELECT "key", "value" FROM "Setting" WHERE "key" = ANY($1::text[])`;

/** The values of `keys` that are set (read on most holder steps: lib/db/lean.ts). */
function settingRows(db: Sql, keys: readonly string[]): Promise<{ key: string; value: unknown }[]> {
  return sqlRows(db, SETTINGS, [[...keys]]);
}

/** The stored value of one `Setting`, or undefined when it is not set. */
export async function settingValue(db: Sql, key: string): Promise<unknown> {
  const [row] = await settingRows(db, [key]);
  return row?.value;
}

/** A numeric `Setting` (stored as a JSON number or numeric string); the first key present wins. */
export async function numberSetting(db: Sql, keys: readonly string[], fallback: number): Promise<number> {
  const [n] = await numberSettings(db, [{ keys, fallback }]);
  return n!;
}

/** Several numberSetting values read in one statement, in the order asked. */
export async function numberSettings(
  db: Sql,
  wanted: readonly { keys: readonly string[]; fallback: number }[],
): Promise<number[]> {
  const rows = await settingRows(
    db,
    wanted.flatMap((w) => w.keys),
  );
  return wanted.map(({ keys, fallback }) => {
    for (const key of keys) {
      const v = rows.find((r) => r.key === key)?.value;
      const n = typeof v === "number" ? v : typeof v === "string" && v.trim() !== "" ? Number(v) : NaN;
      if (Number.isFinite(n) && n > 0) return n;
    }
    return fallback;
  });
}

/** The keys of the renewal window for a certificate type (windowDaysFor), most specific first. */
export function windowDaysKeys(certType: CertType) {
  return { keys: [`renewal.windowDays.${certType}`, "renewal.windowDays"], fallback: DEFAULT_WINDOW_DAYS };
}

/** Renewal window in days for the certificate's profile: `renewal.windowDays.<certType>`, else `renewal.windowDays`, else 30. */
export function windowDaysFor(db: Sql, certificate: { certType: CertType }): Promise<number> {
  const { keys, fallback } = windowDaysKeys(certificate.certType);
  return numberSetting(db, keys, fallback);
}

/** How long a finished order keeps its handler's data before the anonymisation job clears it. */
export function handlerRetentionDays(db: Sql): Promise<number> {
  return numberSetting(db, [HANDLER_RETENTION_KEY], DEFAULT_HANDLER_RETENTION_DAYS);
}

/** The admin's reminder thresholds (days before expiry), ascending; the default when unset or unreadable. */
export async function reminderDays(db: Tx): Promise<number[]> {
  const row = await db.setting.findUnique({ where: { key: REMINDER_DAYS_KEY } });
  if (!row) return ReminderDays.parse(DEFAULT_REMINDER_DAYS);
  const parsed = ReminderDays.safeParse(row.value);
  if (parsed.success) return parsed.data;
  log.warn({ key: REMINDER_DAYS_KEY }, "reminder days setting unreadable; using the default");
  return ReminderDays.parse(DEFAULT_REMINDER_DAYS);
}

/** Whether RSA holders move to SM2 at renewal (`renewal.migrateRsaToSm2`, default off). */
export async function migrateRsaToSm2(db: Sql): Promise<boolean> {
  return (await settingValue(db, MIGRATE_RSA_TO_SM2_KEY)) === true;
}
