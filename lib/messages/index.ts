import type { Locale } from "../errors/types";
import { common } from "./common";
import { home } from "./home";
import { wizard } from "./wizard";
import { services } from "./services";
import { staff } from "./staff";
import { payments } from "./payments";
import { mail } from "./mail";
import { validation } from "./validation";
import { renewal } from "./renewal";

/** UI strings, one module per area, zh-CN first. Components never hold literal UI text. */
const areas = { common, home, wizard, services, staff, payments, mail, validation, renewal };

type Areas = typeof areas;
export type Messages = { [K in keyof Areas]: Areas[K]["zh-CN"] };

export function getMessages(locale: Locale): Messages {
  const out = {} as Record<string, unknown>;
  for (const [name, area] of Object.entries(areas)) out[name] = area[locale];
  return out as Messages;
}

export function parseLocale(value: string | undefined | null): Locale {
  return value === "en" ? "en" : "zh-CN";
}

/** Dates are stored in UTC and shown in Asia/Shanghai. */
export function formatDateTime(d: Date | string, locale: Locale): string {
  return new Intl.DateTimeFormat(locale === "en" ? "en-GB" : "zh-CN", {
    timeZone: "Asia/Shanghai",
    year: "numeric",
    month: "2-digit",
    day: "2-digit",
    hour: "2-digit",
    minute: "2-digit",
    second: "2-digit",
    hour12: false,
  }).format(new Date(d));
}

export function formatDate(d: Date | string, locale: Locale): string {
  return new Intl.DateTimeFormat(locale === "en" ? "en-GB" : "zh-CN", {
    timeZone: "Asia/Shanghai",
    year: "numeric",
    month: "2-digit",
    day: "2-digit",
  }).format(new Date(d));
}

/** 10000 fen → "100.00" */
export function formatFen(fen: number): string {
  return `${Math.trunc(fen / 100)}.${String(Math.abs(fen) % 100).padStart(2, "0")}`;
}
