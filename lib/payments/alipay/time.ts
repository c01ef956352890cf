/** Alipay writes times as "yyyy-MM-dd HH:mm:ss" in Beijing time (UTC+8, no daylight saving). */

const OFFSET_MS = 8 * 60 * 60 * 1000;

export function formatAlipayTime(d: Date): string {
  return new Date(d.getTime() + OFFSET_MS).toISOString().slice(0, 19).replace("T", " ");
}

export function parseAlipayTime(s: string | undefined): Date | null {
  if (!s || !/^\d{4}-\d{2}-\d{2} \d{2}:\d{2}:\d{2}$/.test(s)) return null;
  const t = Date.parse(`${s.replace(" ", "T")}+08:00`);
  return Number.isNaN(t) ? null : new Date(t);
}
