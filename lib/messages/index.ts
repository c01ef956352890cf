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
import { kmc } from "./kmc";
import { keyRecovery } from "./key-recovery";
import { org } from "./org";

/** UI strings, one module per area, zh-CN first. Components never hold literal UI text. */
const areas = { common, home, wizard, services, staff, payments, mail, validation, renewal, kmc, keyRecovery, org };

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
