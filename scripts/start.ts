import { spawn, type ChildProcess } from "node:child_process";
import path from "node:path";
import { startupConfigOrExit } from "./lib/startup-config";
import { loadDemoSecrets } from "../lib/config/demo-secrets";
import { openDb } from "../lib/db/client";
import { applyMigrations } from "../lib/db/migrate";
import { seedDemo } from "../lib/dev/demo/seed";
import { ensureAssistantPackage, ensureBuild } from "./build";

/**
 * `npm start`: configuration → build if stale → migrations → demo data (demo mode) → portal + assistant.
 * Demo mode is the default when DATABASE_URL is not set: embedded PGlite in DATA_DIR, the Alipay sandbox,
 * a development CA and virtual tokens, with secrets generated once into DATA_DIR/secrets.json.
 */

const env = process.env;
for (const [k, v] of Object.entries(env)) if (v === "") delete env[k];
env.PORT ||= "3000";
env.DATA_DIR ||= ".data";
if (!env.DATABASE_URL && env.DEMO_MODE === undefined) env.DEMO_MODE = "1";
const demo = env.DEMO_MODE === "1" || env.DEMO_MODE === "true";
if (demo) {
  loadDemoSecrets(path.resolve(env.DATA_DIR), env);
  env.ALIPAY_SANDBOX ??= "1";
}

const config = startupConfigOrExit(env);

// the portal's processes (and the proxy's Host check) see the public origin itself, whatever port they listen on
env.PUBLIC_ORIGIN ||= config.publicOrigin;
env.ASSISTANT_ORIGINS ||= [
  ...new Set([config.publicOrigin, `http://localhost:${config.PORT}`, `http://127.0.0.1:${config.PORT}`]),
].join(",");

const target = config.DATABASE_URL
  ? `PostgreSQL at ${new URL(config.DATABASE_URL).host}`
  : `PGlite in ${path.join(config.dataDir, "pglite")}`;
try {
  const db = await openDb({ url: config.DATABASE_URL, pgliteDir: path.join(config.dataDir, "pglite") });
  try {
    const applied = await applyMigrations(db.pglite ? { pglite: db.pglite } : { url: config.DATABASE_URL! });
    console.log(applied.length ? `Applied migrations: ${applied.join(", ")}` : `Database up to date (${target})`);
    if (demo) {
      const notes = await seedDemo(db.prisma, config);
      for (const line of notes) console.log(line);
    }
  } finally {
    await db.close();
  }
} catch (e) {
  const reason = e instanceof Error ? e.message.split("\n")[0] : String(e);
  console.error(`Cannot prepare the database (${target}): ${reason}`);
  process.exit(1);
}

ensureBuild();

const children: ChildProcess[] = [];
function run(name: string, args: string[], extraEnv: Record<string, string> = {}): ChildProcess {
  return runExecutable(name, process.execPath, args, extraEnv);
}
function runExecutable(
  name: string,
  file: string,
  args: string[] = [],
  extraEnv: Record<string, string> = {},
): ChildProcess {
  const child = spawn(file, args, {
    stdio: "inherit",
    env: { ...env, NEXT_TELEMETRY_DISABLED: "1", ...extraEnv },
  });
  child.on("exit", (code, signal) => {
    if (stopping) return;
    console.error(`${name} stopped (${signal ?? code}); shutting down`);
    stop(code ?? 1);
  });
  children.push(child);
  return child;
}

let stopping = false;
function stop(code = 0): void {
  stopping = true;
  for (const c of children) c.kill("SIGTERM");
  setTimeout(() => process.exit(code), 3000).unref();
  void Promise.all(children.map((c) => new Promise((r) => (c.exitCode !== null ? r(null) : c.once("exit", r))))).then(
    () => process.exit(code),
  );
}
process.on("SIGINT", () => stop(0));
process.on("SIGTERM", () => stop(0));

// the portal: scripts/portal-server.ts, the node:http front (OCSP, CRL, CA certificates and the assistant's files
// from the process's caches) in front of Next's request handler; PORTAL_PROCESSES processes share the port through
// node:cluster, one per core on PostgreSQL unless PORTAL_PROCESSES says otherwise
run("portal", ["--import", "tsx", "scripts/portal-server.ts"], {
  NODE_ENV: "production",
  PORT: String(config.PORT),
  PORTAL_PROCESSES: String(config.portalProcesses),
});
// the assistant of the demo: from source, or the packed single executable when ASSISTANT_EXECUTABLE names it
if (demo) {
  const exe = env.ASSISTANT_EXECUTABLE;
  // the packed program serves virtual tokens only when told to (holders' PCs have real keys)
  if (exe) runExecutable("certificate assistant", path.resolve(exe), [], { ASSISTANT_VIRTUAL_TOKENS: "1" });
  else run("certificate assistant", ["--import", "tsx", "agent/main.ts"]);
}
// the installer the download centre serves (cached; built in the background when something changed)
const pack = ensureAssistantPackage(env, false);
if (pack) children.push(pack);
console.log(
  `\nCertRenew: ${config.publicOrigin}${demo ? "  (demo mode: PGlite, Alipay sandbox, virtual tokens; mails at /dev/mail)" : ""}\n`,
);
