import type { Locale } from "../errors/types";

/**
 * How the UI writes values into messages: placeholders, dates (stored in UTC, shown in Asia/Shanghai) and
 * money (integer fen, shown as yuan). Pure functions, safe in the browser bundle.
 */

/** "{n} 天" with n filled in; a placeholder without a value becomes empty. */
export function fill(template: string, values: Record<string, unknown>): string {
  return template.replace(/\{(\w+)\}/g, (_, k: string) => String(values[k] ?? ""));
}

const SHANGHAI_OFFSET_MS = 8 * 60 * 60 * 1000;

function shanghaiIso(d: Date | string): string {
  return new Date(new Date(d).getTime() + SHANGHAI_OFFSET_MS).toISOString();
}

/**
 * "2018-08-03 17:38:33" in Asia/Shanghai (UTC+8, no daylight saving), the guide's format, in both languages:
 * one way of writing a date everywhere (pages, mails, exports), which no reader can take for day/month.
 */
export function formatDateTime(d: Date | string, _locale?: Locale): string {
  return shanghaiIso(d).slice(0, 19).replace("T", " ");
}

/** "2018-08-03" in Asia/Shanghai. */
export function formatDate(d: Date | string, _locale?: Locale): string {
  return shanghaiIso(d).slice(0, 10);
}

/** 10000 fen → "100.00" */
export function formatFen(fen: number): string {
  return `${Math.trunc(fen / 100)}.${String(Math.abs(fen) % 100).padStart(2, "0")}`;
}
