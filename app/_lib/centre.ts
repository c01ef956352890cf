import { getDb } from "@/lib/db";
import { log } from "@/lib/log";
import type { Locale } from "@/lib/errors";
import { centreContent, defaultContent } from "@/lib/content/store";
import type { ServicesContent } from "@/lib/content/services";

/**
 * The service centre for the page chrome (header and footer of every page). Without the database (an outage, the
 * 503 page) the chrome still renders, with the built-in centre.
 */
export async function pageCentre(locale: Locale): Promise<ServicesContent["centre"]> {
  try {
    return await centreContent(await getDb(), locale);
  } catch (err) {
    log.warn({ err }, "service centre content not readable; the page chrome shows the default");
    return defaultContent(locale).centre;
  }
}
