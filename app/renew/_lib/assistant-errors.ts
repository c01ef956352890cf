import { ERRORS } from "@/lib/errors/catalog";
import type { Locale } from "@/lib/errors";
import { ASSISTANT_ERROR_CODES } from "@/lib/token/client";

/** The texts of the assistant's error codes in the holder's language, handed to the page (keeps the catalog off the client). */
export function assistantErrorTexts(locale: Locale): Record<string, string> {
  return Object.fromEntries(ASSISTANT_ERROR_CODES.map((code) => [code, ERRORS[code][locale]]));
}
