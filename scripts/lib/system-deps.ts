import { execFileSync, spawnSync } from "node:child_process";
import { existsSync } from "node:fs";

/**
 * A Debian package the code runs something from. `provides` names what the code uses from it: commands
 * (as spawned) and absolute paths; scripts/lib/system-tools.ts matches every use it finds against them.
 */
export interface SystemPackage {
  pkg: string;
  /** a file whose presence tells that the package is installed */
  probe: string;
  provides: string[];
}

/** Packages the test suites need: `npm test` installs the missing ones (root + apt-get), and so does .ci/run. */
export const TEST_PACKAGES: SystemPackage[] = [
  { pkg: "chromium", probe: "/usr/bin/chromium", provides: ["chromium", "/usr/bin/chromium"] },
  {
    pkg: "fonts-noto-cjk",
    probe: "/usr/share/fonts/opentype/noto/NotoSansCJK-Regular.ttc",
    provides: ["/usr/share/fonts/opentype/noto/NotoSansCJK-Regular.ttc"],
  },
  {
    pkg: "softhsm2",
    probe: "/usr/lib/softhsm/libsofthsm2.so",
    provides: ["softhsm2-util", "/usr/lib/softhsm/libsofthsm2.so"],
  },
  { pkg: "opensc", probe: "/usr/bin/pkcs11-tool", provides: ["pkcs11-tool"] },
  { pkg: "openssl", probe: "/usr/bin/openssl", provides: ["openssl", "/usr/bin/openssl"] },
  { pkg: "gcc", probe: "/usr/bin/gcc", provides: ["gcc"] },
  {
    pkg: "gcc-mingw-w64-x86-64",
    probe: "/usr/bin/x86_64-w64-mingw32-gcc",
    provides: ["x86_64-w64-mingw32-gcc"],
  },
  // the mock SKF library of tests/integration/token/skf.test.ts is built from C against libcrypto
  { pkg: "libssl-dev", probe: "/usr/include/openssl/evp.h", provides: ["/usr/include/openssl"] },
  // the certificate assistant's installer (npm run assistant:pack) and its test under Wine
  { pkg: "nsis", probe: "/usr/bin/makensis", provides: ["makensis"] },
  { pkg: "osslsigncode", probe: "/usr/bin/osslsigncode", provides: ["osslsigncode"] },
  { pkg: "wine64", probe: "/usr/lib/wine/wine64", provides: [] },
  { pkg: "wine", probe: "/usr/bin/wine", provides: ["wine", "wineboot", "wineserver"] },
  // the upstream CA peer of RA mode and of the performance benches (cfssl serve / ocspserve)
  { pkg: "golang-cfssl", probe: "/usr/bin/cfssl", provides: ["cfssl", "cfssljson"] },
  // the load balancer of the cluster suite (deploy/nginx)
  { pkg: "nginx", probe: "/usr/sbin/nginx", provides: ["nginx", "/usr/sbin/nginx"] },
];

/**
 * Packages only .ci/run installs, because every suite that needs them runs or skips on its own condition
 * (the PostgreSQL suites need TEST_POSTGRES_URL; the PostgreSQL-restart fault test skips without a server).
 */
export const CI_ONLY_PACKAGES: (SystemPackage & { why: string })[] = [
  {
    pkg: "postgresql",
    probe: "/usr/lib/postgresql",
    provides: ["initdb", "pg_ctl", "pg_dump", "pg_restore", "/usr/lib/postgresql"],
    why:
      "the database suites on PostgreSQL (TEST_POSTGRES_URL: backup/restore uses pg_dump and pg_restore there), the " +
      "pg-restart fault test and the cluster suite's own server without TEST_POSTGRES_URL (both skip without it)",
  },
  {
    pkg: "util-linux",
    probe: "/usr/sbin/runuser",
    provides: ["runuser"],
    why: "runs initdb/pg_ctl as the postgres user (Essential on Debian; .ci/run adds it to minimal images)",
  },
];

/** Commands that come with every Debian system (Essential packages) or with Node itself. */
export const BASE_COMMANDS = ["sh", "bash", "id", "tar", "apt-get", "node", "npm", "npx", "stdbuf"];

/**
 * Installs what is missing when we may (root with apt-get); otherwise stops with one line saying what
 * to install, instead of a wall of browser or PKCS#11 errors later.
 */
export function ensureSystemPackages(packages: SystemPackage[] = TEST_PACKAGES): void {
  const missing = packages.filter((p) => !existsSync(p.probe)).map((p) => p.pkg);
  if (missing.length === 0) return;
  const isRoot = typeof process.getuid === "function" && process.getuid() === 0;
  const hasApt = spawnSync("sh", ["-c", "command -v apt-get"]).status === 0;
  if (!isRoot || !hasApt) {
    console.error(
      `Missing system packages: ${missing.join(" ")} — install them first, e.g. sudo apt-get install -y ${missing.join(" ")}`,
    );
    process.exit(1);
  }
  console.log(`Installing ${missing.join(" ")} (apt-get)…`);
  const env = { ...process.env, DEBIAN_FRONTEND: "noninteractive" };
  execFileSync("apt-get", ["update", "-qq"], { stdio: "inherit", env });
  execFileSync("apt-get", ["install", "-y", "-qq", "--no-install-recommends", ...missing], { stdio: "inherit", env });
  const still = packages.filter((p) => !existsSync(p.probe)).map((p) => `${p.pkg} (${p.probe})`);
  if (still.length > 0) {
    console.error(`Installed, but still missing: ${still.join(", ")}`);
    process.exit(1);
  }
}
