import { spawnSync } from "node:child_process";
import { mkdtempSync } from "node:fs";
import os from "node:os";
import path from "node:path";
import { describe, expect, test } from "vitest";

/** `npm start` with bad input stops with one clear line, before building or serving anything. */
function start(env: Record<string, string>) {
  const dataDir = mkdtempSync(path.join(os.tmpdir(), "certrenew-start-"));
  const r = spawnSync(process.execPath, ["--import", "tsx", "scripts/start.ts"], {
    env: {
      PATH: process.env.PATH ?? "",
      HOME: process.env.HOME ?? "",
      DATA_DIR: dataDir,
      ...env,
    } as unknown as NodeJS.ProcessEnv,
    encoding: "utf8",
    timeout: 60_000,
  });
  return { code: r.status, stderr: r.stderr.trim(), stdout: r.stdout };
}

describe("npm start refuses bad configuration", () => {
  test("a malformed variable names the variable and what is expected", () => {
    const r = start({ PORT: "not-a-port" });
    expect(r.code).toBe(2);
    expect(r.stderr).toMatch(/^Configuration error: PORT is invalid: expected/);
    expect(r.stderr.split("\n")).toHaveLength(1);
  });

  test("production without secrets names the first missing one", () => {
    const r = start({ NODE_ENV: "production", DATABASE_URL: "postgresql://u@127.0.0.1:1/x" });
    expect(r.code).toBe(2);
    expect(r.stderr).toBe("Configuration error: SESSION_SECRET is missing");
  });

  test("an unreachable database gives a clear message, not a stack trace", () => {
    const r = start({
      DATABASE_URL: "postgresql://certrenew@127.0.0.1:1/certrenew",
      DEMO_MODE: "0",
      SMTP_HOST: "127.0.0.1",
      SESSION_SECRET: "s".repeat(40),
      FIELD_ENCRYPTION_KEY: "ab".repeat(32),
      SO_PIN_MASTER_SECRET: "m".repeat(40),
    });
    expect(r.code).toBe(1);
    expect(r.stderr).toMatch(/^Cannot prepare the database \(PostgreSQL at 127\.0\.0\.1:1\): /);
    expect(r.stderr).not.toMatch(/\n\s+at /);
  });
});
