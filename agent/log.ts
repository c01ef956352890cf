import { mkdirSync } from "node:fs";
import path from "node:path";
import pino from "pino";
import { isPackaged, userDataDir } from "./native/sea";

/**
 * The assistant's own log: it runs on holders' PCs apart from the portal, so it takes nothing from lib/log. PINs
 * and key material never reach a log line. The installed program has no console (and under Wine a piped stdout
 * fails), so it logs to a file: `ASSISTANT_LOG_FILE`, or `assistant.log` in its per-user folder.
 */
function destination(): pino.DestinationStream | undefined {
  const file = process.env.ASSISTANT_LOG_FILE || (isPackaged() ? path.join(userDataDir(), "assistant.log") : null);
  if (!file) return undefined;
  mkdirSync(path.dirname(file), { recursive: true });
  return pino.destination({ dest: file, append: true, sync: true });
}

export const assistantLog = pino(
  {
    level: process.env.LOG_LEVEL ?? (process.env.NODE_ENV === "test" ? "silent" : "info"),
    base: { component: "assistant" },
    redact: { paths: ["pin", "*.pin", "soPin", "*.soPin", "newPin", "*.newPin"], censor: "[redacted]" },
  },
  destination(),
);

export type AssistantLog = Pick<typeof assistantLog, "info" | "warn" | "error">;
