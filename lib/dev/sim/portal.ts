import { spawn, type ChildProcess } from "node:child_process";
import { randomBytes } from "node:crypto";
import { mkdtempSync } from "node:fs";
import net from "node:net";
import os from "node:os";
import path from "node:path";
import pg from "pg";

/** Starting the real portal (`scripts/start.ts`: build if stale, migrate, seed, `next start`) for benchmarks and fault tests. */

export function freePort(): Promise<number> {
  return new Promise((resolve, reject) => {
    const s = net.createServer();
    s.on("error", reject);
    s.listen(0, "127.0.0.1", () => {
      const port = (s.address() as net.AddressInfo).port;
      s.close(() => resolve(port));
    });
  });
}

/** A new empty database on the server of `baseUrl`; `drop()` removes it again. */
export async function freshDatabase(
  baseUrl: string,
  prefix = "certrenew_bench",
): Promise<{ url: string; drop(): Promise<void> }> {
  const name = `${prefix}_${randomBytes(5).toString("hex")}`;
  const admin = new pg.Client({ connectionString: baseUrl });
  await admin.connect();
  await admin.query(`CREATE DATABASE "${name}"`);
  await admin.end();
  const url = new URL(baseUrl);
  url.pathname = `/${name}`;
  return {
    url: url.toString(),
    async drop() {
      const a = new pg.Client({ connectionString: baseUrl });
      await a.connect();
      await a.query(`DROP DATABASE IF EXISTS "${name}" WITH (FORCE)`);
      await a.end();
    },
  };
}

export interface Portal {
  base: string;
  port: number;
  dataDir: string;
  child: ChildProcess;
  /** the start script's output so far (for error reports) */
  output(): string;
  stop(signal?: NodeJS.Signals): Promise<void>;
}

export interface StartPortalOptions {
  /** the checkout to run (default: this one) */
  root?: string;
  env?: Record<string, string>;
  dataDir?: string;
  port?: number;
  /** node flags for the start script's children (e.g. --cpu-prof); passed through NODE_OPTIONS */
  nodeOptions?: string;
  readyTimeoutMs?: number;
  quiet?: boolean;
}

async function waitReady(base: string, child: ChildProcess, timeoutMs: number, output: () => string): Promise<void> {
  const until = Date.now() + timeoutMs;
  while (Date.now() < until) {
    if (child.exitCode !== null)
      throw new Error(`portal exited (${child.exitCode}) before it was ready:\n${output().slice(-3000)}`);
    try {
      const res = await fetch(`${base}/api/health`, { signal: AbortSignal.timeout(5_000) });
      if (res.status === 200) return;
    } catch {
      // not listening yet
    }
    await new Promise((r) => setTimeout(r, 250));
  }
  throw new Error(`portal not ready after ${timeoutMs} ms:\n${output().slice(-3000)}`);
}

/** Runs `npm start`'s script (tsx scripts/start.ts) and resolves once /api/health answers 200. */
export async function startPortal(opts: StartPortalOptions = {}): Promise<Portal> {
  const root = opts.root ?? process.cwd();
  const port = opts.port ?? (await freePort());
  const dataDir = opts.dataDir ?? mkdtempSync(path.join(os.tmpdir(), "certrenew-portal-"));
  const base = `http://127.0.0.1:${port}`;
  const env: NodeJS.ProcessEnv = {
    ...process.env,
    NODE_ENV: "production",
    PORT: String(port),
    PUBLIC_ORIGIN: base,
    DATA_DIR: dataDir,
    ASSISTANT_PORT: String(await freePort()),
    NEXT_TELEMETRY_DISABLED: "1",
    ...opts.env,
  };
  if (opts.nodeOptions) env.NODE_OPTIONS = `${env.NODE_OPTIONS ?? ""} ${opts.nodeOptions}`.trim();
  let out = "";
  const child = spawn(process.execPath, ["--import", "tsx", "scripts/start.ts"], {
    cwd: root,
    env,
    stdio: ["ignore", "pipe", "pipe"],
    detached: true,
  });
  const keep = (d: Buffer) => {
    out += d.toString();
    if (out.length > 200_000) out = out.slice(-100_000);
    if (!opts.quiet) process.stderr.write(d);
  };
  child.stdout!.on("data", keep);
  child.stderr!.on("data", keep);
  const output = () => out;
  const stop = async (signal: NodeJS.Signals = "SIGTERM") => {
    if (child.exitCode !== null || child.signalCode !== null) return;
    const exited = new Promise((r) => child.once("exit", r));
    try {
      // the whole process group: the start script, next start and the assistant
      process.kill(-child.pid!, signal);
    } catch {
      return;
    }
    await Promise.race([exited, new Promise((r) => setTimeout(r, 10_000))]);
    if (child.exitCode === null && child.signalCode === null) {
      try {
        process.kill(-child.pid!, "SIGKILL");
      } catch {
        // already gone
      }
    }
  };
  try {
    await waitReady(base, child, opts.readyTimeoutMs ?? 600_000, output);
  } catch (e) {
    await stop("SIGKILL");
    throw e;
  }
  return { base, port, dataDir, child, output, stop };
}
