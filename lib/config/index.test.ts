import os from "node:os";
import { describe, expect, test } from "vitest";
import { ConfigError, parseConfig } from "./index";

const base = {
  SESSION_SECRET: "s".repeat(40),
  FIELD_ENCRYPTION_KEY: "ab".repeat(32),
  SO_PIN_MASTER_SECRET: "m".repeat(40),
};

function message(env: Record<string, string | undefined>): string {
  try {
    parseConfig(env);
  } catch (e) {
    expect(e).toBeInstanceOf(ConfigError);
    return (e as Error).message;
  }
  throw new Error("expected a ConfigError");
}

describe("configuration", () => {
  test("a complete demo environment parses with defaults", () => {
    const c = parseConfig({ ...base, DEMO_MODE: "1" });
    expect(c.PORT).toBe(3000);
    expect(c.portalProcesses).toBe(1); // PGlite: one process
    expect(parseConfig({ ...base, DATABASE_URL: "postgresql://x@h/db" }).portalProcesses).toBe(
      os.availableParallelism(),
    );
    expect(parseConfig({ ...base, DATABASE_URL: "postgresql://x@h/db", PORTAL_PROCESSES: "3" }).portalProcesses).toBe(
      3,
    );
    expect(c.publicOrigin).toBe("http://localhost:3000");
    expect(c.secureCookies).toBe(false);
  });

  test.each([
    ["SESSION_SECRET", { ...base, SESSION_SECRET: undefined }, "SESSION_SECRET is missing"],
    [
      "SESSION_SECRET",
      { ...base, SESSION_SECRET: "short" },
      "SESSION_SECRET is invalid: expected at least 32 characters",
    ],
    [
      "FIELD_ENCRYPTION_KEY",
      { ...base, FIELD_ENCRYPTION_KEY: "xyz" },
      "FIELD_ENCRYPTION_KEY is invalid: expected 64 hex characters",
    ],
    ["PORT", { ...base, PORT: "70000" }, "PORT is invalid"],
    [
      "PORTAL_PROCESSES",
      { ...base, PORTAL_PROCESSES: "2" },
      "PORTAL_PROCESSES is invalid: more than one process needs DATABASE_URL",
    ],
    ["DATABASE_URL", { ...base, DATABASE_URL: "mysql://x" }, "DATABASE_URL is invalid: expected a PostgreSQL URL"],
    ["PUBLIC_ORIGIN", { ...base, PUBLIC_ORIGIN: "not a url" }, "PUBLIC_ORIGIN is invalid"],
  ])("a bad %s stops start-up with one line naming it", (_name, env, expected) => {
    const m = message(env);
    expect(m).toContain(expected);
    expect(m).not.toContain("\n");
  });

  test("an empty variable counts as not set", () => {
    expect(parseConfig({ ...base, DATABASE_URL: "", DEMO_MODE: "1" }).DATABASE_URL).toBeUndefined();
  });

  test("production without demo mode requires the CA passphrase, Alipay keys and SMTP", () => {
    expect(message({ ...base, NODE_ENV: "production" })).toContain("CA_KEY_PASSPHRASE is missing");
    expect(message({ ...base, NODE_ENV: "production", CA_KEY_PASSPHRASE: "p".repeat(20) })).toContain(
      "ALIPAY_APP_ID is missing",
    );
  });

  test("production without demo mode refuses the demo switches with one line", () => {
    const prod = { ...base, NODE_ENV: "production", CA_KEY_PASSPHRASE: "p".repeat(20) };
    expect(message({ ...prod, ALIPAY_SANDBOX: "1" })).toBe(
      "ALIPAY_SANDBOX is invalid: the Alipay sandbox is refused in production without DEMO_MODE",
    );
    expect(message({ ...prod, TEST_CAPTCHA_BYPASS: "1" })).toContain("TEST_CAPTCHA_BYPASS is invalid");
    expect(parseConfig({ ...prod, DEMO_MODE: "1", ALIPAY_SANDBOX: "1", TEST_CAPTCHA_BYPASS: "1" }).ALIPAY_SANDBOX).toBe(
      true,
    );
  });

  test("production without demo mode requires the audit chain's key", () => {
    const full = {
      ...base,
      NODE_ENV: "production",
      CA_KEY_PASSPHRASE: "p".repeat(20),
      ALIPAY_APP_ID: "2021",
      ALIPAY_PRIVATE_KEY: "k",
      ALIPAY_PUBLIC_KEY: "k",
      ALIPAY_GATEWAY: "https://openapi.alipay.com/gateway.do",
      ALIPAY_SELLER_ID: "2088",
      SMTP_HOST: "smtp.example.cn",
    };
    expect(message(full)).toContain("AUDIT_CHAIN_KEY is missing");
    expect(parseConfig({ ...full, AUDIT_CHAIN_KEY: "ab".repeat(32) }).auditCheckpointFile).toMatch(
      /audit-checkpoints\.jsonl$/,
    );
  });

  test("an https public origin makes cookies Secure", () => {
    expect(parseConfig({ ...base, PUBLIC_ORIGIN: "https://renew.example.cn/" }).secureCookies).toBe(true);
  });
});
