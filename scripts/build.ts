import { spawnSync } from "node:child_process";
import { writeFileSync } from "node:fs";
import { STAMP_FILE, buildIsFresh, sourceHash } from "./lib/build-stamp";

/** `next build` unless the last build was made from exactly these sources (use --force to rebuild). */
export function ensureBuild(force = false): void {
  if (!force && buildIsFresh()) return;
  const hash = sourceHash();
  console.log("Building the portal (next build)…");
  const r = spawnSync(process.execPath, ["node_modules/next/dist/bin/next", "build"], {
    stdio: "inherit",
    env: { ...process.env, NEXT_TELEMETRY_DISABLED: "1" },
  });
  if (r.status !== 0) {
    console.error("next build failed");
    process.exit(r.status ?? 1);
  }
  writeFileSync(STAMP_FILE, hash + "\n");
}

if (import.meta.url === `file://${process.argv[1]}`) {
  ensureBuild(process.argv.includes("--force"));
}
