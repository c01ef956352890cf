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
  /** API requests each portal process begins at once, the rest wait their turn (lib/runtime/gate.ts); 0: no limit */
  PORTAL_API_CONCURRENCY: z.coerce.number().int().min(0).max(1000).optional(),
  /** the front answers the holder's renewal API itself (lib/runtime/direct.ts); 0: Next answers it */
  PORTAL_API_DIRECT: z.enum(["0", "1"]).default("1"),
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
  CA_KEY_ALGORITHM: z.enum(["P-256", "RSA-2048", "SM2"]).default("P-256"),
  PKCS11_MODULE: z.string().optional(),
  PKCS11_TOKEN_LABEL: z.string().optional(),
  PKCS11_PIN: z.string().optional(),
  PKCS11_KEY_LABEL: z.string().optional(),
  // national algorithms (issue 19, sm2): the HSM's vendor SM2 mechanism (PKCS#11 defines none)
  /** the vendor mechanism id that signs with an SM2 key, decimal or 0x hex (e.g. 0x80000000 + n) */
  CA_PKCS11_SM2_MECHANISM: z
    .string()
    .regex(/^(0x[0-9a-f]{1,8}|\d{1,10})$/i, "a mechanism number, decimal or 0x hex")
    .transform(Number)
    .optional(),
  /** `data`: the mechanism computes Z and SM3 itself (default ID); `digest`: it signs e = SM3(Z ‖ M) */
  CA_PKCS11_SM2_INPUT: z.enum(["data", "digest"]).default("data"),
  /** a vendor-defined CKK_ key type for SM2 keys, for HSMs that do not store them as CKK_EC */
  CA_PKCS11_SM2_KEY_TYPE: z
    .string()
    .regex(/^(0x[0-9a-f]{1,8}|\d{1,10})$/i, "a key type number, decimal or 0x hex")
    .transform(Number)
    .optional(),
  /**
   * SM2 signatures and their verification (lib/crypto/sm2.ts, read there from the environment; listed here so a typo
   * fails at start-up): `native` = OpenSSL's EVP API through koffi, `js` = sm-crypto-v2, `auto` = native when it
   * loads and passes its self-test, else js with one warning
   */
  SM2_IMPL: z.enum(["auto", "native", "js"]).default("auto"),
  /** a libcrypto (OpenSSL 3) file for SM2_IMPL native/auto instead of the OpenSSL inside this Node process */
  SM2_LIBCRYPTO: z.string().optional(),
  CERT_POLICY_OID: z
    .string()
    .regex(/^\d+(\.\d+)+$/, "a dotted OID such as 1.2.156.112559.1.1")
    .default("1.2.156.112559.1.1.1"),
  REVOKE_SUPERSEDED_ON_RENEWAL: bool.default(false),
  /** the key management centre's SM4 master key (dual certificates: lib/kmc); without it SM2 renewals cannot issue */
  KMC_MASTER_KEY: z
    .string()
    .regex(/^[0-9a-f]{32}$/i, "32 hex characters (a 128-bit SM4 key)")
    .optional(),
  // kmc2: the KMC master key inside an HSM (lib/kmc/hsm.ts); new escrows are wrapped there, KMC_MASTER_KEY rows still open
  /** "module=/path/lib.so;token=<label>;key=<label>[;mechanism=0x210a][;keyType=0x1f]" (PIN: KMC_MASTER_KEY_PKCS11_PIN) */
  KMC_MASTER_KEY_PKCS11: z
    .string()
    .transform((v, ctx) => {
      const fields = Object.fromEntries(
        v
          .split(";")
          .map((p) => p.trim())
          .filter(Boolean)
          .map((p) => [p.slice(0, p.indexOf("=")), p.slice(p.indexOf("=") + 1)]),
      ) as Record<string, string>;
      const num = (x: string | undefined) => (x && /^(0x[0-9a-f]{1,8}|\d{1,10})$/i.test(x) ? Number(x) : undefined);
      const unknown = Object.keys(fields).filter(
        (k) => !["module", "token", "key", "mechanism", "keyType"].includes(k),
      );
      if (!fields.module || !fields.token || !fields.key || unknown.length > 0) {
        ctx.addIssue({
          code: "custom",
          message: "module=<path>;token=<label>;key=<label>[;mechanism=<number>][;keyType=<number>]",
        });
        return z.NEVER;
      }
      for (const k of ["mechanism", "keyType"] as const)
        if (fields[k] !== undefined && num(fields[k]) === undefined) {
          ctx.addIssue({ code: "custom", message: `${k}: a number, decimal or 0x hex` });
          return z.NEVER;
        }
      return {
        module: fields.module,
        tokenLabel: fields.token,
        keyLabel: fields.key,
        mechanism: num(fields.mechanism),
        dataKeyType: num(fields.keyType),
      };
    })
    .optional(),
  KMC_MASTER_KEY_PKCS11_PIN: z.string().min(1).optional(),

  // RA mode (#20): who signs renewals. builtin = the portal's own CA; cmp / cfssl = the operator's CA upstream
  ISSUER: z.enum(["builtin", "cmp", "cfssl"]).default("builtin"),
  CFSSL_URL: url.optional(),
  /** the hex HMAC-SHA256 key of cfssl's auth_keys entry for CFSSL_PROFILE */
  CFSSL_AUTH_KEY: z
    .string()
    .regex(/^([0-9a-f]{2}){16,}$/i, "hex characters (cfssl's auth key, ≥ 16 bytes)")
    .optional(),
  CFSSL_PROFILE: z.string().min(1).default("holder"),
  CMP_SERVER_URL: url.optional(),
  CMP_REF: z.string().min(1).optional(),
  CMP_SECRET: z.string().min(1).optional(),
  CMP_CERT: z.string().min(1).optional(),
  CMP_KEY: z.string().min(1).optional(),
  CMP_TRUSTED: z.string().min(1).optional(),
  // ISSUER=cmp, the rest (cmp2): see lib/pki/issuers/cmp/settings.ts
  CMP_KEY_PASSPHRASE: z.string().min(1).optional(),
  /** https: PEM file of the CAs the CMP server's TLS certificate chains to (default: the system's) */
  CMP_TLS_TRUSTED: z.string().min(1).optional(),
  /** recipient / sender Names in OpenSSL's slash form, /C=CN/O=…/CN=… */
  CMP_RECIPIENT: z.string().min(1).optional(),
  CMP_SENDER: z.string().min(1).optional(),
  /** kur (key update, raVerified POP; the default) or p10cr (the holder's CSR as it is) */
  CMP_RENEWAL_REQUEST: z.enum(["kur", "p10cr"]).default("kur"),
  /** one upstream exchange (request to answer) may take this long before it counts as "upstream slow" */
  UPSTREAM_TIMEOUT_MS: z.coerce.number().int().min(100).max(120_000).default(15_000),
  /**
   * RA mode: what /ocsp and /crl/* answer (the portal signs neither). proxy = forward to UPSTREAM_OCSP_URL /
   * UPSTREAM_CRL_URL with a short cache; pointer = 404 naming the upstream's URLs.
   */
  RA_STATUS_ENDPOINTS: z.enum(["proxy", "pointer"]).default("pointer"),
  UPSTREAM_OCSP_URL: url.optional(),
  UPSTREAM_CRL_URL: url.optional(),

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

  // operations (#23)
  /** bearer token for /api/metrics and /api/ready's details; unset: /api/metrics answers 404 */
  METRICS_TOKEN: z.string().min(24, "at least 24 characters of random token").optional(),
  /** the front's primary process serves /metrics for all its processes on this port (lib/metrics/cluster.ts) */
  METRICS_PORT: port.optional(),
  /** the SESSION_SECRET before a rotation: links and codes made with it stay valid during the grace period */
  SESSION_SECRET_PREVIOUS: secret.optional(),
  // hardening (issue 21): the audit chain's key
  /** the audit chain's HMAC key (lib/audit); kept out of the database so a database writer cannot re-seal the chain */
  AUDIT_CHAIN_KEY: z
    .string()
    .regex(/^[0-9a-f]{64}$/i, "64 hex characters (a 256-bit key)")
    .optional(),
  /**
   * harden2 (#21 item 3): after a rotation of AUDIT_CHAIN_KEY, the keys used before it (comma-separated, newest
   * first): events and checkpoints sealed with them keep verifying; new ones are sealed with AUDIT_CHAIN_KEY only
   */
  AUDIT_CHAIN_KEY_PREVIOUS: z
    .string()
    .regex(/^[0-9a-f]{64}(,[0-9a-f]{64})*$/i, "64 hex characters per key, comma-separated")
    .optional(),
  /** harden2 (#21 item 3): where the daily audit mail (the day's signed checkpoints) goes; unset: no audit mail */
  AUDIT_MAIL_TO: z.email().max(254).optional(),
  /** signed checkpoints of the audit chain's head; default DATA_DIR/audit-checkpoints.jsonl */
  AUDIT_CHECKPOINT_FILE: z.string().min(1).optional(),
  /** `gm`: the Chinese national algorithms (SM4 for field encryption, SM3 for the audit chain); `intl`: AES/SHA-256 */
  CRYPTO_SUITE: z.enum(["intl", "gm"]).default("intl"),
});

export type Config = z.infer<typeof Env> & {
  dataDir: string;
  caDir: string;
  auditCheckpointFile: string;
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

/**
 * A path known only at run time: the operator's, else `name` in the data folder. The comments keep Next's build from
 * tracing every file the expression could name (the whole project) into its server output.
 */
const runtimePath = (given: string | undefined, dataDir: string, name: string) =>
  given ? path.resolve(/* turbopackIgnore: true */ given) : path.join(/* turbopackIgnore: true */ dataDir, name);

/** RA mode needs its upstream's settings, whatever the environment (there is no demo upstream). */
function checkIssuer(c: z.infer<typeof Env>): void {
  if (c.ISSUER === "cfssl") {
    for (const name of ["CFSSL_URL", "CFSSL_AUTH_KEY"] as const)
      if (!c[name]) throw new ConfigError(`${name} is missing: required with ISSUER=cfssl`);
  }
  if (c.ISSUER === "cmp") {
    if (!c.CMP_SERVER_URL) throw new ConfigError("CMP_SERVER_URL is missing: required with ISSUER=cmp");
    const mac = Boolean(c.CMP_SECRET);
    const signature = Boolean(c.CMP_CERT && c.CMP_KEY);
    if (!mac && !signature)
      throw new ConfigError("CMP_SECRET is missing: ISSUER=cmp needs CMP_REF and CMP_SECRET, or CMP_CERT and CMP_KEY");
    if (mac && !c.CMP_REF) throw new ConfigError("CMP_REF is missing: required with CMP_SECRET");
    if (!c.CMP_TRUSTED)
      throw new ConfigError("CMP_TRUSTED is missing: required with ISSUER=cmp (PEM file of the CA certificates)");
  }
  if (c.ISSUER !== "builtin" && c.RA_STATUS_ENDPOINTS === "proxy" && !c.UPSTREAM_OCSP_URL && !c.UPSTREAM_CRL_URL)
    throw new ConfigError(
      "UPSTREAM_OCSP_URL is missing: RA_STATUS_ENDPOINTS=proxy needs UPSTREAM_OCSP_URL and/or UPSTREAM_CRL_URL",
    );
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
  checkIssuer(c);
  if (c.KMC_MASTER_KEY_PKCS11 && !c.KMC_MASTER_KEY_PKCS11_PIN)
    throw new ConfigError("KMC_MASTER_KEY_PKCS11_PIN is missing: KMC_MASTER_KEY_PKCS11 needs the token's user PIN");
  if (c.NODE_ENV === "production" && !c.DEMO_MODE) {
    // switches that let anyone pay any order or skip the captcha belong to demo mode only
    if (c.ALIPAY_SANDBOX)
      throw new ConfigError("ALIPAY_SANDBOX is invalid: the Alipay sandbox is refused in production without DEMO_MODE");
    if (c.TEST_CAPTCHA_BYPASS)
      throw new ConfigError("TEST_CAPTCHA_BYPASS is invalid: refused in production without DEMO_MODE");
    for (const name of ["CA_KEY_PASSPHRASE"] as const) {
      if (c.ISSUER === "builtin" && c.CA_SIGNER === "file" && !c[name])
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
    if (!c.AUDIT_CHAIN_KEY)
      throw new ConfigError(
        "AUDIT_CHAIN_KEY is missing: required in production (64 hex characters, kept outside the database)",
      );
  }
  const dataDir = path.resolve(c.DATA_DIR);
  const publicOrigin = (c.PUBLIC_ORIGIN ?? `http://localhost:${c.PORT}`).replace(/\/$/, "");
  return {
    ...c,
    dataDir,
    caDir: runtimePath(c.CA_DIR, dataDir, "ca"),
    auditCheckpointFile: runtimePath(c.AUDIT_CHECKPOINT_FILE, dataDir, "audit-checkpoints.jsonl"),
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
