import pino from "pino";

/** JSON logs; every line about a request carries its request id (use `log.child({ requestId })`). */
export const log = pino({
  level: process.env.LOG_LEVEL ?? (process.env.NODE_ENV === "test" ? "silent" : "info"),
  base: { service: "certrenew" },
  redact: {
    paths: [
      "pin",
      "*.pin",
      "password",
      "*.password",
      "idNumber",
      "*.idNumber",
      "mobile",
      "*.mobile",
      "soPin",
      "*.soPin",
      "privateKey",
      "*.privateKey",
    ],
    censor: "[redacted]",
  },
});

export type Logger = typeof log;
