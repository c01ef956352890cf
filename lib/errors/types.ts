export type Locale = "zh-CN" | "en";

/** One error code: its HTTP status and the holder-facing text; `{name}` is filled from the error's details. */
export interface ErrorSpec {
  status: number;
  "zh-CN": string;
  en: string;
}

export function defineErrors<const T extends Record<string, ErrorSpec>>(specs: T): T {
  return specs;
}
