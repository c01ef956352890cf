import { spawn, spawnSync, type ChildProcess } from "node:child_process";
import { writeFileSync } from "node:fs";
import os from "node:os";
import path from "node:path";
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

/** Why the certificate assistant's installer cannot be built on this machine, or null when it can. */
function assistantPackBlocker(env: NodeJS.ProcessEnv): string | null {
  if (env.ASSISTANT_PACK === "0") return "ASSISTANT_PACK=0";
  const missing = [
    ["makensis", "nsis"],
    ["osslsigncode", "osslsigncode"],
  ].filter(([cmd]) => spawnSync("sh", ["-c", `command -v ${cmd}`], { stdio: "ignore" }).status !== 0);
  if (missing.length > 0)
    return `${missing.map(([c]) => c).join(" and ")} missing (apt-get install -y ${missing.map(([, p]) => p).join(" ")})`;
  return null;
}

/**
 * The certificate assistant's installer for the download centre (`npm run assistant:pack`: cached, so a second
 * run with nothing changed takes about a second). `wait`: in the foreground (`npm run build`); otherwise in
 * the background at low priority, so that `npm start` serves at once and the download centre says "being
 * built" until it is there. Skipped with one line when nsis or osslsigncode is missing (development).
 */
export function ensureAssistantPackage(env: NodeJS.ProcessEnv, wait: boolean): ChildProcess | null {
  const blocker = assistantPackBlocker(env);
  if (blocker) {
    console.log(`Certificate assistant installer: not built (${blocker}); the download centre says so.`);
    return null;
  }
  const args = ["--import", "tsx", "scripts/assistant-pack.ts"];
  if (wait) {
    const r = spawnSync(process.execPath, args, { stdio: "inherit", env });
    if (r.status !== 0) console.error("Certificate assistant installer: not built (see above).");
    return null;
  }
  const child = spawn(process.execPath, args, { stdio: ["ignore", "inherit", "inherit"], env });
  if (child.pid) os.setPriority(child.pid, 10);
  child.on("exit", (code) => {
    if (code !== 0) console.error("Certificate assistant installer: not built (see above).");
  });
  return child;
}

/**
 * `npm run build`: the Next build (standalone output), the assistant installer (once, here: every instance serves
 * these same bytes), then the release folder (scripts/release/assemble.ts) that `npm run serve` starts.
 * `--out DIR` puts the release elsewhere (default ./release).
 */
if (import.meta.url === `file://${process.argv[1]}`) {
  ensureBuild(process.argv.includes("--force"));
  ensureAssistantPackage(process.env, true);
  const i = process.argv.indexOf("--out");
  const out = path.resolve(i > 0 ? process.argv[i + 1] : "release");
  const { assembleRelease } = await import("./release/assemble");
  const t = Date.now();
  await assembleRelease(process.cwd(), out);
  console.log(`Release: ${out} (${((Date.now() - t) / 1000).toFixed(1)} s) — start it with npm run serve`);
}
