import { AssistantError, createAssistantClient, type AssistantClient } from "@/lib/token/client";
import { errorMessage, type Locale } from "@/lib/errors";
import { ApiError, describeError } from "@/lib/api/client";

export function assistantClient(baseUrl: string, locale: Locale): AssistantClient {
  return createAssistantClient({ baseUrl, locale });
}

/** What went wrong, in the holder's words: the assistant's code (with tries left etc.) or the portal's message. */
export function problemText(e: unknown, locale: Locale): string {
  if (e instanceof AssistantError) return errorMessage(e.code, locale, e.details);
  if (e instanceof ApiError) return describeError(e, e.code);
  return errorMessage("INTERNAL", locale, {});
}

export function errorCodeOf(e: unknown): string {
  return e instanceof AssistantError || e instanceof ApiError ? e.code : "INTERNAL";
}
