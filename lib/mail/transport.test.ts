import { describe, expect, test } from "vitest";
import { ConfigError, parseConfig } from "../config";
import { isPermanentSmtpError, senderDomain, validateMailConfig } from "./transport";

const base = {
  SESSION_SECRET: "s".repeat(32),
  FIELD_ENCRYPTION_KEY: "0".repeat(64),
  SO_PIN_MASTER_SECRET: "p".repeat(32),
};
const check = (env: Record<string, string>) => validateMailConfig(parseConfig({ ...base, ...env }));

describe("mail settings are validated at start", () => {
  test("without SMTP_HOST, demo mode uses the mail sink", () => {
    expect(check({ DEMO_MODE: "1" })).toEqual({ sink: true, from: "CertRenew <noreply@localhost>" });
  });
  test("without SMTP_HOST outside demo mode, start-up stops naming SMTP_HOST", () => {
    expect(() => check({})).toThrow(
      new ConfigError(
        "SMTP_HOST is missing: required for outgoing mail unless DEMO_MODE=1 (demo mail sink at /dev/mail)",
      ),
    );
  });
  test("SMTP_USER without SMTP_PASS is refused", () => {
    expect(() => check({ SMTP_HOST: "smtp.example.cn", SMTP_USER: "u" })).toThrow(/SMTP_PASS is missing/);
  });
  test("a MAIL_FROM that is not an address is refused", () => {
    expect(() => check({ SMTP_HOST: "smtp.example.cn", MAIL_FROM: "CertRenew" })).toThrow(/MAIL_FROM is invalid/);
  });
  test("a full SMTP configuration is taken as given", () => {
    expect(
      check({
        SMTP_HOST: "smtp.example.cn",
        SMTP_PORT: "465",
        SMTP_SECURE: "1",
        SMTP_USER: "u",
        SMTP_PASS: "p",
        MAIL_FROM: "CA <ca@example.cn>",
      }),
    ).toEqual({
      host: "smtp.example.cn",
      port: 465,
      secure: true,
      user: "u",
      pass: "p",
      from: "CA <ca@example.cn>",
    });
  });
});

test("only 5xx SMTP replies are permanent", () => {
  expect(isPermanentSmtpError(Object.assign(new Error("x"), { responseCode: 550 }))).toBe(true);
  expect(isPermanentSmtpError(Object.assign(new Error("x"), { responseCode: 451 }))).toBe(false);
  expect(isPermanentSmtpError(Object.assign(new Error("connect ECONNREFUSED"), { code: "ECONNECTION" }))).toBe(false);
});

test("Message-IDs use the sender's domain", () => {
  expect(senderDomain("CertRenew <noreply@renew.example.cn>")).toBe("renew.example.cn");
  expect(senderDomain("ca@example.cn")).toBe("example.cn");
});
