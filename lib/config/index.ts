import os from "node:os";
import path from "node:path";
import { z } from "zod";

/**
 * All configuration comes from the environment, validated once. A bad value stops start-up with one
 * line naming the variable and what it expects. Demo secrets are generated into DATA_DIR by
 * `scripts/start.ts` (lib/config/demo-secrets.ts) and exported to the environment before this runs.
 */

const bool = z
  .enum(["1", "0", "true", "false", "yes", "no", ""])
  .transform((v) => v === "1" || v === "true" || v === "yes");
const port = z.coerce.number().int().min(1).max(65535);
const secret = z.string().min(32, "at least 32 characters of random secret");
const url = z.string().url("an absolute URL such as https://renew.example.cn");

const Env = z.object({
  NODE_ENV: z.enum(["development", "production", "test"]).default("development"),
  PORT: port.default(3000),
  /** `next start` processes sharing PORT (node:cluster); more than one needs PostgreSQL. Unset: see parseConfig */
  PORTAL_PROCESSES: z.coerce.number().int().min(1).max(64).optional(),
  DATA_DIR: z.string().min(1).default(".data"),
  DATABASE_URL: z
    .string()
    .regex(/^postgres(ql)?:\/\//, "a PostgreSQL URL: postgresql://user:pass@host:5432/db")
    .optional(),
  PUBLIC_ORIGIN: url.optional(),
  DEMO_MODE: bool.default(false),
  SESSION_SECRET: secret,
  FIELD_ENCRYPTION_KEY: z.string().regex(/^[0-9a-f]{64}$/i, "64 hex characters (a 256-bit key)"),
  SO_PIN_MASTER_SECRET: secret,

  CA_SIGNER: z.enum(["file", "pkcs11"]).default("file"),
  CA_KEY_PASSPHRASE: z.string().min(12, "at least 12 characters").optional(),
  CA_DIR: z.string().optional(),
  CA_KEY_ALGORITHM: z.enum(["P-256", "RSA-2048"]).default("P-256"),
  PKCS11_MODULE: z.string().optional(),
  PKCS11_TOKEN_LABEL: z.string().optional(),
  PKCS11_PIN: z.string().optional(),
  PKCS11_KEY_LABEL: z.string().optional(),
  CERT_POLICY_OID: z
    .string()
    .regex(/^\d+(\.\d+)+$/, "a dotted OID such as 1.2.156.112559.1.1")
    .default("1.2.156.112559.1.1.1"),
  REVOKE_SUPERSEDED_ON_RENEWAL: bool.default(false),

  ALIPAY_APP_ID: z.string().min(1).optional(),
  ALIPAY_PRIVATE_KEY: z.string().min(1).optional(),
  ALIPAY_PUBLIC_KEY: z.string().min(1).optional(),
  /** certificate mode (公钥证书模式): the three PEM files' contents instead of ALIPAY_PUBLIC_KEY */
  ALIPAY_APP_CERT: z.string().min(1).optional(),
  ALIPAY_PUBLIC_CERT: z.string().min(1).optional(),
  ALIPAY_ROOT_CERT: z.string().min(1).optional(),
  ALIPAY_GATEWAY: url.optional(),
  ALIPAY_SELLER_ID: z.string().min(1).optional(),
  ALIPAY_NOTIFY_URL: url.optional(),
  ALIPAY_SANDBOX: bool.default(false),
  /** the emulator's notify retry schedule is multiplied by this (tests compress 25 hours into seconds) */
  ALIPAY_SANDBOX_TIME_FACTOR: z.coerce.number().positive().max(1).default(1),

  SMTP_HOST: z.string().optional(),
  SMTP_PORT: port.default(587),
  SMTP_SECURE: bool.default(false),
  SMTP_USER: z.string().optional(),
  SMTP_PASS: z.string().optional(),
  MAIL_FROM: z.string().default("CertRenew <noreply@localhost>"),

  ASSISTANT_PORT: port.default(17443),
  ASSISTANT_ORIGINS: z.string().optional(),
  TEST_CAPTCHA_BYPASS: bool.default(false),
  JOBS_ENABLED: bool.default(true),
  // reach (#24): SMS through Alibaba Cloud (dysmsapi); the sandbox (lib/dev/sms-sandbox) answers like the service
  SMS_SANDBOX: bool.default(false),
  /** default PORT + 50 */
  SMS_SANDBOX_PORT: port.optional(),
  SMS_ENDPOINT: z.string().default("dysmsapi.aliyuncs.com"),
  SMS_ACCESS_KEY_ID: z.string().optional(),
  SMS_ACCESS_KEY_SECRET: z.string().optional(),
  SMS_SIGN_NAME: z.string().default("山东CA"),
  SMS_TEMPLATE_REMINDER: z.string().default("SMS_480215001"),
  SMS_TEMPLATE_UNLOCK: z.string().default("SMS_480215002"),
  SMS_TEMPLATE_PAYMENT: z.string().default("SMS_480215003"),
  /** reverse proxies in front (lib/http/request.ts clientIp); anything but a count means none */
  TRUST_PROXY: z.coerce.number().int().min(0).catch(0),
});

export type Config = z.infer<typeof Env> & {
  dataDir: string;
  caDir: string;
  publicOrigin: string;
  secureCookies: boolean;
  /** PORTAL_PROCESSES, or one per core on PostgreSQL and 1 on PGlite */
  portalProcesses: number;
};

export class ConfigError extends Error {
  constructor(message: string) {
    super(message);
    this.name = "ConfigError";
  }
}

export function parseConfig(env: Record<string, string | undefined>): Config {
  // an empty variable means "not set", as in most deployment tools
  const given = Object.fromEntries(Object.entries(env).filter(([, v]) => v !== ""));
  const parsed = Env.safeParse(given);
  if (!parsed.success) {
    const issue = parsed.error.issues[0];
    const name = String(issue.path[0] ?? "environment");
    const shown =
      issue.code === "invalid_type" && given[name] === undefined
        ? "is missing"
        : `is invalid: expected ${issue.message}`;
    throw new ConfigError(`${name} ${shown}`);
  }
  const c = parsed.data;
  if ((c.PORTAL_PROCESSES ?? 1) > 1 && !c.DATABASE_URL)
    throw new ConfigError(
      "PORTAL_PROCESSES is invalid: more than one process needs DATABASE_URL (PGlite belongs to one process)",
    );
  if (c.NODE_ENV === "production" && !c.DEMO_MODE) {
    for (const name of ["CA_KEY_PASSPHRASE"] as const) {
      if (c.CA_SIGNER === "file" && !c[name])
        throw new ConfigError(`${name} is missing: required in production with CA_SIGNER=file`);
    }
    if (c.CA_SIGNER === "pkcs11" && (!c.PKCS11_MODULE || !c.PKCS11_PIN)) {
      throw new ConfigError(
        "PKCS11_MODULE is missing: CA_SIGNER=pkcs11 needs PKCS11_MODULE, PKCS11_PIN and PKCS11_KEY_LABEL",
      );
    }
    if (!c.ALIPAY_SANDBOX) {
      for (const name of ["ALIPAY_APP_ID", "ALIPAY_PRIVATE_KEY", "ALIPAY_GATEWAY", "ALIPAY_SELLER_ID"] as const) {
        if (!c[name]) throw new ConfigError(`${name} is missing: required for Alipay unless ALIPAY_SANDBOX=1`);
      }
      const certMode = Boolean(c.ALIPAY_APP_CERT || c.ALIPAY_PUBLIC_CERT || c.ALIPAY_ROOT_CERT);
      if (certMode && !(c.ALIPAY_APP_CERT && c.ALIPAY_PUBLIC_CERT && c.ALIPAY_ROOT_CERT)) {
        throw new ConfigError(
          "ALIPAY_PUBLIC_CERT is missing: certificate mode needs ALIPAY_APP_CERT, ALIPAY_PUBLIC_CERT and ALIPAY_ROOT_CERT",
        );
      }
      if (!certMode && !c.ALIPAY_PUBLIC_KEY)
        throw new ConfigError(
          "ALIPAY_PUBLIC_KEY is missing: required for Alipay unless ALIPAY_SANDBOX=1 or certificate mode",
        );
    }
    if (!c.SMTP_HOST) throw new ConfigError("SMTP_HOST is missing: required in production (outgoing mail)");
  }
  const dataDir = path.resolve(c.DATA_DIR);
  const publicOrigin = (c.PUBLIC_ORIGIN ?? `http://localhost:${c.PORT}`).replace(/\/$/, "");
  return {
    ...c,
    dataDir,
    caDir: path.resolve(c.CA_DIR ?? path.join(dataDir, "ca")),
    publicOrigin,
    secureCookies: publicOrigin.startsWith("https://"),
    // one process per core on PostgreSQL (the 500-holder bench needs both cores); PGlite belongs to one process
    portalProcesses: c.PORTAL_PROCESSES ?? (c.DATABASE_URL ? os.availableParallelism() : 1),
  };
}

let cached: Config | undefined;

export function getConfig(): Config {
  cached ??= parseConfig(process.env);
  return cached;
}

/** Test seam of getConfig(): drops the cached config, so the next getConfig() reads the changed environment. */
export function resetConfig(): void {
  cached = undefined;
}
