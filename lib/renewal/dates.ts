const BEIJING_OFFSET_MS = 8 * 60 * 60 * 1000;

/** "2018-08-03 17:38:33" in Beijing time (UTC+8, no daylight saving): the same text in both languages. */
export function beijingDateTime(d: Date): string {
  return new Date(d.getTime() + BEIJING_OFFSET_MS).toISOString().slice(0, 19).replace("T", " ");
}
