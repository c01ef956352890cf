import pino from "pino";

/**
 * The assistant's own log: it runs on holders' PCs apart from the portal, so it takes nothing from lib/log. PINs
 * and key material never reach a log line.
 */
export const assistantLog = pino({
  level: process.env.LOG_LEVEL ?? (process.env.NODE_ENV === "test" ? "silent" : "info"),
  base: { component: "assistant" },
  redact: { paths: ["pin", "*.pin", "soPin", "*.soPin", "newPin", "*.newPin"], censor: "[redacted]" },
});

export type AssistantLog = Pick<typeof assistantLog, "info" | "warn" | "error">;
