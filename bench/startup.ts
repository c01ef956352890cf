import { spawn, spawnSync } from "node:child_process";
import { mkdtempSync, rmSync } from "node:fs";
import os from "node:os";
import path from "node:path";
import { parseArgs } from "node:util";
import { gzipSync } from "node:zlib";
import { freePort } from "../lib/dev/sim/portal";
import { commandLine, machine, table } from "../lib/dev/sim/stats";

/**
 * `npx tsx bench/startup.ts [--repo /work/main] [--keep]`
 *
 * Start-up from nothing: `git clone` of the repository into a temp dir, `npm install` (with the machine's npm
 * cache, as a developer's second install), then `npm start` (build, migrate, seed, serve) until the first page
 * answers 200. Then the wizard's first-load JavaScript: every /_next script a wizard page's HTML loads, gzipped
 * (level 9), summed per page. Goals: ≤ 3 min to the first page, ≤ 150 KB gzip for the wizard.
 */

const { values: args } = parseArgs({
  options: {
    repo: { type: "string", default: process.cwd() },
    keep: { type: "boolean", default: false },
    "js-only": { type: "string" },
  },
});

console.log(`$ ${commandLine()}`);
let base = "";
console.log(`date ${new Date().toISOString()}  machine ${machine()}`);

if (args["js-only"]) {
  base = args["js-only"].replace(/\/$/, "");
  await reportJs();
  process.exit(0);
}

const dir = mkdtempSync(path.join(os.tmpdir(), "certrenew-startup-"));
const t0 = performance.now();
const secs = (from: number) => ((performance.now() - from) / 1000).toFixed(1);

function step(name: string, cmd: string, argv: string[]): number {
  const t = performance.now();
  const r = spawnSync(cmd, argv, { cwd: dir, stdio: ["ignore", "ignore", "pipe"], env: { ...process.env, CI: "1" } });
  if (r.status !== 0) throw new Error(`${name} failed (${r.status}):\n${r.stderr.toString().slice(-3000)}`);
  return (performance.now() - t) / 1000;
}

const cloneS = step("git clone", "git", ["clone", "--quiet", path.resolve(args.repo!), dir]);
const installS = step("npm install", "npm", ["install", "--no-audit", "--no-fund", "--prefer-offline"]);

const port = await freePort();
const startAt = performance.now();
const child = spawn("npm", ["start"], {
  cwd: dir,
  env: {
    ...process.env,
    PORT: String(port),
    ASSISTANT_PORT: String(await freePort()),
    DATABASE_URL: "",
    DEMO_MODE: "",
    NODE_ENV: "production",
  },
  stdio: ["ignore", "pipe", "pipe"],
  detached: true,
});
let out = "";
child.stdout!.on("data", (d: Buffer) => (out += d.toString()));
child.stderr!.on("data", (d: Buffer) => (out += d.toString()));
base = `http://127.0.0.1:${port}`;

async function firstPage(): Promise<void> {
  const until = performance.now() + 15 * 60_000;
  while (performance.now() < until) {
    if (child.exitCode !== null) throw new Error(`npm start exited (${child.exitCode}):\n${out.slice(-3000)}`);
    try {
      const r = await fetch(`${base}/`, { signal: AbortSignal.timeout(10_000) });
      if (r.status === 200) return;
    } catch {
      // not up yet
    }
    await new Promise((r) => setTimeout(r, 200));
  }
  throw new Error("no first page after 15 minutes");
}

/**
 * Scripts a page's HTML loads from /_next/static, and their gzip size (the page's first-load JS). `nomodule`
 * polyfills are left out: browsers that run modules (every browser the portal supports) never fetch them.
 */
async function firstLoadJs(
  page: string,
): Promise<{ page: string; status: number; scripts: number; raw: number; gzip: number }> {
  const r = await fetch(`${base}${page}`, { redirect: "manual" });
  const html = await r.text();
  const tags = [...html.matchAll(/<script\b[^>]*\bsrc="([^"]+)"[^>]*>/g)].filter((m) => !/\bnomodule\b/i.test(m[0]));
  const srcs = [...new Set(tags.map((m) => m[1]).filter((s) => s.includes("/_next/static/")))];
  let raw = 0;
  let gzip = 0;
  for (const src of srcs) {
    const body = Buffer.from(await (await fetch(new URL(src, base))).arrayBuffer());
    raw += body.length;
    gzip += gzipSync(body, { level: 9 }).length;
  }
  return { page, status: r.status, scripts: srcs.length, raw, gzip };
}

async function reportJs(): Promise<void> {
  // the steps after /renew need a holder session and redirect without one: /renew is the wizard's first load
  const sizes = [];
  for (const p of ["/", "/renew"]) sizes.push(await firstLoadJs(p));
  console.log(`\nfirst-load JS (every module /_next/static script in the page's HTML, gzip -9):`);
  console.log(
    table(
      ["page", "status", "scripts", "raw KB", "gzip KB"],
      sizes.map((s) => [
        s.page,
        String(s.status),
        String(s.scripts),
        (s.raw / 1024).toFixed(1),
        (s.gzip / 1024).toFixed(1),
      ]),
    ),
  );
  const wizard = sizes.find((s) => s.page === "/renew")!.gzip / 1024;
  console.log(
    `wizard (/renew) first-load JS: ${wizard.toFixed(1)} KB gzip (goal ≤ 150 KB) → ${wizard <= 150 ? "met" : "MISSED"}`,
  );
}

let code = 0;
try {
  await firstPage();
  const startS = (performance.now() - startAt) / 1000;
  const totalS = (performance.now() - t0) / 1000;
  const built = /Building the portal/.test(out);
  console.log(
    `\ngit clone ${cloneS.toFixed(1)} s · npm install ${installS.toFixed(1)} s · npm start → first page ${startS.toFixed(1)} s${built ? " (includes next build)" : ""}`,
  );
  console.log(`fresh clone → first page: ${totalS.toFixed(1)} s (goal ≤ 180 s) → ${totalS <= 180 ? "met" : "MISSED"}`);

  await reportJs();
  console.log(`(elapsed ${secs(t0)} s)`);
} catch (e) {
  console.error(e);
  code = 1;
} finally {
  try {
    process.kill(-child.pid!, "SIGTERM");
  } catch {
    // gone
  }
  await new Promise((r) => setTimeout(r, 3000));
  try {
    process.kill(-child.pid!, "SIGKILL");
  } catch {
    // gone
  }
  if (!args.keep) rmSync(dir, { recursive: true, force: true });
}
process.exit(code);
