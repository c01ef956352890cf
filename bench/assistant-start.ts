import { spawn, spawnSync } from "node:child_process";
import fs from "node:fs";
import os from "node:os";
import path from "node:path";
import { LINUX_EXE, WIN_EXE, distDir, readManifest } from "../scripts/lib/assistant-pack";

/**
 * `npx tsx bench/assistant-start.ts` (after `npm run assistant:pack`): the installer's size, and the time from
 * starting the certificate assistant to its first `/v1/info` answer (goal ≤ 2 s): the packed Linux executable,
 * `tsx agent/main.ts` for comparison, and the Windows executable under Wine (with `--wine`; the prefix is made
 * first and not counted).
 */

const root = path.resolve(import.meta.dirname, "..");
const manifest = readManifest(root);
if (!manifest) {
  console.error("dist/assistant is not built: npm run assistant:pack");
  process.exit(1);
}
const ORIGIN = manifest.origin;
const work = fs.mkdtempSync(path.join(os.tmpdir(), "bench-assistant-start-"));
let port = 18100 + Math.floor(Math.random() * 500);

async function timeToInfo(cmd: string, args: string[], env: NodeJS.ProcessEnv): Promise<number> {
  port += 1;
  const out = fs.openSync(path.join(work, `out-${port}.log`), "w");
  const t0 = performance.now();
  const child = spawn(cmd, args, {
    env: { ...env, ASSISTANT_PORT: String(port), ASSISTANT_ORIGINS: ORIGIN, DATA_DIR: path.join(work, "data") },
    stdio: ["ignore", out, out],
  });
  try {
    for (;;) {
      if (performance.now() - t0 > 60_000) throw new Error(`${cmd}: no answer in 60 s`);
      const ok = await fetch(`http://127.0.0.1:${port}/v1/info`, { headers: { origin: ORIGIN } }).then(
        (r) => r.ok,
        () => false,
      );
      if (ok) return performance.now() - t0;
      await new Promise((r) => setTimeout(r, 20));
    }
  } finally {
    child.kill("SIGTERM");
    await new Promise((r) => child.once("exit", r));
    fs.closeSync(out);
  }
}

const median = (xs: number[]) => [...xs].sort((a, b) => a - b)[Math.floor(xs.length / 2)];
const runs = 5;
const rows: string[] = [];
rows.push(
  `installer ${manifest.installer.name}: ${(manifest.installer.bytes / 1048576).toFixed(1)} MB (limit 40 MB); ` +
    `certrenew-assistant.exe ${(manifest.files.find((f) => f.name === WIN_EXE)!.bytes / 1048576).toFixed(1)} MB, ` +
    `${LINUX_EXE} ${(manifest.files.find((f) => f.name === LINUX_EXE)!.bytes / 1048576).toFixed(1)} MB; Node ${manifest.nodeVersion}`,
);
const home: NodeJS.ProcessEnv = { ...process.env, HOME: path.join(work, "home"), NODE_ENV: "production" };
for (const [name, cmd, args] of [
  [`packed ${LINUX_EXE}`, path.join(distDir(root), LINUX_EXE), []],
  ["tsx agent/main.ts", process.execPath, ["--import", "tsx", path.join(root, "agent", "main.ts")]],
] as const) {
  const times: number[] = [];
  for (let i = 0; i < runs; i++) times.push(await timeToInfo(cmd, [...args], home));
  rows.push(
    `${name}: start → /v1/info ${median(times).toFixed(0)} ms median of ${runs} (min ${Math.min(...times).toFixed(0)}, max ${Math.max(...times).toFixed(0)})`,
  );
}
if (process.argv.includes("--wine")) {
  const env = { ...process.env, WINEPREFIX: path.join(work, "prefix"), WINEDEBUG: "-all" };
  spawnSync("wineboot", ["-i"], { env, stdio: "ignore" });
  spawnSync("wine", ["reg", "add", "HKCU\\Software\\Wine", "/v", "Version", "/d", "win10", "/f"], {
    env,
    stdio: "ignore",
  });
  const times: number[] = [];
  for (let i = 0; i < 3; i++) times.push(await timeToInfo("wine", [path.join(distDir(root), WIN_EXE)], env));
  spawnSync("wineserver", ["-k"], { env, stdio: "ignore" });
  rows.push(`${WIN_EXE} under Wine 8: start → /v1/info ${median(times).toFixed(0)} ms median of 3`);
}
fs.rmSync(work, { recursive: true, force: true });
for (const r of rows) console.log(r);
process.exit(0);
