import type { Tx } from "../db";

/** A numeric `Setting` (stored as a JSON number or numeric string); the first key present wins. */
export async function numberSetting(db: Tx, keys: readonly string[], fallback: number): Promise<number> {
  const rows = await db.setting.findMany({ where: { key: { in: [...keys] } } });
  for (const key of keys) {
    const v = rows.find((r) => r.key === key)?.value;
    const n = typeof v === "number" ? v : typeof v === "string" && v.trim() !== "" ? Number(v) : NaN;
    if (Number.isFinite(n) && n > 0) return n;
  }
  return fallback;
}
