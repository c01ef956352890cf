import { execFileSync, spawnSync } from "node:child_process";
import { existsSync } from "node:fs";

/** Debian packages the test suites use, with a file that tells whether each is installed. */
export const TEST_PACKAGES: { pkg: string; probe: string }[] = [
  { pkg: "chromium", probe: "/usr/bin/chromium" },
  { pkg: "fonts-noto-cjk", probe: "/usr/share/fonts/opentype/noto/NotoSansCJK-Regular.ttc" },
  { pkg: "softhsm2", probe: "/usr/lib/softhsm/libsofthsm2.so" },
  { pkg: "openssl", probe: "/usr/bin/openssl" },
];

/**
 * Installs what is missing when we may (root with apt-get); otherwise stops with one line saying what
 * to install, instead of a wall of browser or PKCS#11 errors later.
 */
export function ensureSystemPackages(packages = TEST_PACKAGES): void {
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
}
