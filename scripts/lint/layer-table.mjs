/**
 * The layering of the code, in one place: which folder may import which. The lint rule `layers/imports`
 * (scripts/lint/layers.mjs) reads this table; change a line here and `npm run lint` follows.
 *
 * Under lib/, every folder lists the lib folders it may import besides itself. In a list, "kernel" stands
 * for every KERNEL folder, "domain" for every DOMAIN folder, and "type:x" allows only `import type` from
 * lib/x. DOMAIN and COMPOSITION folders may always import every KERNEL folder. A lib folder that is in no
 * group is reported as unknown (add it to a group).
 *
 * Test files (TEST_FILE) beside the code follow their folder's rules, and may also import TESTS_MAY_ALSO.
 */

/** Imports no domain folder. */
export const KERNEL = {
  errors: [],
  clock: [],
  log: [],
  config: ["errors"],
  // SM2 through OpenSSL loads koffi itself (sm2-native.ts, lazily, at the first SM2 signature): no lib edge
  crypto: ["errors", "type:config"],
  db: ["errors"],
  audit: ["db", "clock", "errors", "config"],
  jobs: ["db", "clock", "log", "errors"],
  ratelimit: ["db", "clock", "errors"],
  session: ["db", "clock", "crypto", "errors"],
  messages: ["errors"],
  privacy: [],
  // PKCS#11 through koffi (koffi handed in by the caller): the CA signer's HSM and the assistant's USB keys
  pkcs11: [],
  captcha: ["kernel"],
  // prom-client counters and histograms (ops, #23)
  metrics: [],
};

/** May import every kernel folder plus the ones listed. */
export const DOMAIN = {
  settings: [],
  outbox: [],
  fees: ["settings"],
  token: [],
  pki: [],
  registry: ["pki"],
  orders: ["outbox", "sms"],
  payments: ["orders", "outbox", "settings", "fees"],
  // add "renewal" here only if the expiry reminders stay in lib/mail (renewal imports mail)
  mail: ["outbox", "settings", "sms"],
  // the key management centre: escrowed SM2 encryption key pairs, GM/T 0016 envelopes (lib/token), recovery
  kmc: ["pki", "token"],
  renewal: [
    "orders",
    "payments",
    "pki",
    "registry",
    "token",
    "fees",
    "settings",
    "captcha",
    "outbox",
    "mail",
    "kmc",
    "consent",
  ],
  services: ["renewal", "pki", "registry", "token", "orders", "outbox", "mail", "captcha", "sms"],
  content: ["messages", "consent"],
  // the subscriber agreement and privacy notice a holder accepts before 确认提交, by version
  consent: [],
  // SMS beside mail: outbox rows, the Alibaba Cloud SDK, the delivery job
  sms: [],
  staff: ["domain"],
  // the route context carries the process CA (pki) and the Alipay client made from its config (payments)
  http: ["pki", "payments", "session", "messages"],
  // the HTTP contract the browser shares with the routes: schemas and types only, nothing that runs on the server
  api: ["renewal", "payments", "services", "consent", "org"],
  // operations (#23): readiness checks and the database gauges of the metrics
  ops: ["pki"],
  // 大客户专区 (bigclient, #24): organisations, their holders, batch payments and contract coverage; the wizard's
  // pricing asks lib/fees/coverage.ts, never lib/org
  org: ["renewal", "payments", "fees", "orders", "outbox", "settings"],
};

/** Composition points: lib/dev (demo and test doubles) and lib/runtime, the one lib folder that may use lib/dev. */
export const COMPOSITION = {
  dev: ["domain"],
  runtime: ["domain", "dev"],
};

/** Imported by every lib folder: the Prisma client generated from prisma/schema.prisma. */
export const SHARED = ["generated"];

/** npm packages lib/ never imports (nor their subpaths, e.g. next/server). */
export const LIB_NEVER_PACKAGES = ["next", "react", "react-dom"];

/** Top-level folders lib/ never imports. */
export const LIB_NEVER_FOLDERS = ["app", "components", "agent", "bench", "tests"];

/**
 * Outside lib/: `allow` lists the only repository paths a folder may import (npm and node packages are
 * always allowed); `deny` lists paths it never imports. A path covers the folder or file and everything
 * under it.
 */
export const OUTSIDE = {
  agent: { allow: ["agent", "lib/token", "lib/errors", "lib/pki/der", "lib/pkcs11"] },
  tests: { deny: ["bench"] },
  bench: { deny: ["tests"] },
};

/** Test files beside the code (lib/**, agent/**): their folder's rules apply, plus TESTS_MAY_ALSO. */
export const TEST_FILE = /\.(test|spec)\.[cm]?[jt]sx?$/;

/**
 * What a test file beside the code may import besides what its folder may: the test helpers, the demo and
 * test doubles, and the certificate assistant (lib/token's client is tested against it). Never bench/.
 */
export const TESTS_MAY_ALSO = ["tests", "lib/dev", "agent"];

/** The whole table, as the rule takes it. */
export const LAYERS = {
  kernel: KERNEL,
  domain: DOMAIN,
  composition: COMPOSITION,
  shared: SHARED,
  libNeverPackages: LIB_NEVER_PACKAGES,
  libNeverFolders: LIB_NEVER_FOLDERS,
  outside: OUTSIDE,
  testFile: TEST_FILE.source,
  testsMayAlso: TESTS_MAY_ALSO,
};
