import path from "node:path";
import { getConfig, resetConfig, type Config } from "../../lib/config";
import { loadDemoSecrets } from "../../lib/config/demo-secrets";

/**
 * Points this process's configuration at a running demo portal (its DATA_DIR secrets, database and origin), so
 * the harness can load the portal's CA and write registry rows the portal will trust.
 */
export function useConfigOf(portal: { dataDir: string; base: string }, databaseUrl?: string): Config {
  const env = process.env;
  for (const name of ["SESSION_SECRET", "FIELD_ENCRYPTION_KEY", "SO_PIN_MASTER_SECRET", "CA_KEY_PASSPHRASE"])
    delete env[name];
  env.DATA_DIR = path.resolve(portal.dataDir);
  env.PUBLIC_ORIGIN = portal.base;
  env.DEMO_MODE = "1";
  env.ALIPAY_SANDBOX = "1";
  if (databaseUrl) env.DATABASE_URL = databaseUrl;
  else delete env.DATABASE_URL;
  loadDemoSecrets(env.DATA_DIR, env);
  resetConfig();
  return getConfig();
}

/** The `--db` option of the benches that want a PostgreSQL server (they create and drop their own database on it). */
export const dbOption = {
  type: "string",
  default:
    process.env.BENCH_DATABASE_URL ?? process.env.DATABASE_URL ?? "postgresql://postgres@127.0.0.1:55432/postgres",
} as const;

/**
 * The options of the benches that start one portal of their own (bench/lib/one-portal.ts): `--db`, `--port`, and
 * `--root`, another checkout's build (its own `npm run build`) to compare code side by side in one hour.
 */
export const onePortalOptions = {
  db: dbOption,
  port: { type: "string" },
  root: { type: "string" },
} as const;

/**
 * The portal's environment for the holder-flow benches (bench/flow.ts, bench/step-cpu.ts): demo mode on `databaseUrl`
 * with the captcha's test bypass, the background jobs on, X-Forwarded-For trusted (each simulated holder has its own
 * address) and quiet logs. Not the installer `npm start` builds once in the background (a minute of CPU on a fresh
 * data folder): a release builds it in `npm run build`, and a bench starting on a fresh folder would measure it.
 */
export function flowPortalEnv(databaseUrl: string): Record<string, string> {
  return {
    DATABASE_URL: databaseUrl,
    DEMO_MODE: "1",
    TEST_CAPTCHA_BYPASS: "1",
    JOBS_ENABLED: "1",
    TRUST_PROXY: "1",
    LOG_LEVEL: "warn",
    ASSISTANT_PACK: "0",
  };
}
