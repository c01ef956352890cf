import { defineConfig } from "@playwright/test";
import os from "node:os";
import path from "node:path";

/**
 * Browser tests against the production build on a throwaway DATA_DIR (fresh demo data each run),
 * in Debian's chromium. Ports differ from the defaults so a running dev portal is not disturbed.
 */
const PORT = Number(process.env.E2E_PORT ?? 3100);
const ASSISTANT_PORT = Number(process.env.E2E_ASSISTANT_PORT ?? 17543);
export const E2E_DATA_DIR = process.env.E2E_DATA_DIR ?? path.join(os.tmpdir(), `certrenew-e2e-${process.pid}`);
process.env.E2E_DATA_DIR = E2E_DATA_DIR;

export default defineConfig({
  testDir: "tests/e2e",
  outputDir: "test-results",
  timeout: 90_000,
  expect: { timeout: 15_000 },
  fullyParallel: false,
  workers: 1,
  retries: 0,
  reporter: process.env.PW_REPORTER ? [[process.env.PW_REPORTER]] : [["list"]],
  use: {
    baseURL: `http://localhost:${PORT}`,
    locale: "zh-CN",
    timezoneId: "Asia/Shanghai",
    viewport: { width: 1280, height: 860 },
    launchOptions: {
      executablePath: process.env.CHROMIUM_PATH ?? "/usr/bin/chromium",
      args: [
        "--headless",
        "--no-sandbox",
        "--disable-gpu",
        "--disable-quic",
        "--no-first-run",
        "--disable-background-networking",
        "--disable-component-update",
        "--disable-sync",
      ],
    },
  },
  webServer: {
    command: "npx tsx scripts/start.ts",
    url: `http://localhost:${PORT}/api/health`,
    timeout: 240_000,
    reuseExistingServer: false,
    stdout: "ignore",
    stderr: "pipe",
    env: {
      PORT: String(PORT),
      ASSISTANT_PORT: String(ASSISTANT_PORT),
      DATA_DIR: E2E_DATA_DIR,
      DEMO_MODE: "1",
      DATABASE_URL: "",
      ASSISTANT_TEST_HOOKS: "1",
      // the wizard tests answer the captcha with TEST_BYPASS_ANSWER (svg-captcha text is not machine-readable by design)
      TEST_CAPTCHA_BYPASS: "1",
      LOG_LEVEL: "warn",
      // the installer is built by `npm run assistant:pack` (and the pack test), not in the background of each run;
      // ASSISTANT_EXECUTABLE (passed through from the environment) runs the packed assistant instead of tsx
      ASSISTANT_PACK: "0",
    },
  },
});
