import { cookies } from "next/headers";
import { getMessages, parseLocale, type Messages } from "@/lib/messages";
import { LOCALE_COOKIE } from "@/lib/http/request";
import type { Locale } from "@/lib/errors";

/** The visitor's language from the `lang` cookie (zh-CN unless they chose English). */
export async function getLocale(): Promise<Locale> {
  return parseLocale((await cookies()).get(LOCALE_COOKIE)?.value);
}

export async function getT(): Promise<{ locale: Locale; t: Messages }> {
  const locale = await getLocale();
  return { locale, t: getMessages(locale) };
}
