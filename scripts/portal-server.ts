import cluster from "node:cluster";
import { existsSync, readFileSync } from "node:fs";
import http from "node:http";
import path from "node:path";
import { serveClusterMetrics } from "../lib/metrics/cluster";
import { releaseOrderWatches } from "../lib/orders/changes";

/**
 * The portal's server, what `npm start` (scripts/start.ts) and a release run:
 *
 *   node --import tsx scripts/portal-server.ts [APP_DIR]      (or: npx tsx scripts/portal-server.ts [APP_DIR])
 *
 * APP_DIR (or PORTAL_DIR; default the working directory) holds the built app (`.next`, from `npm run build`)
 * and becomes the working directory, so the app's relative paths (prisma/migrations, dist/assistant, DATA_DIR)
 * mean the same for Next and for the front. Environment: PORT (default 3000), PORTAL_HOST (default: every
 * address), PORTAL_PROCESSES (default 1: one process; N > 1: N worker processes sharing PORT through
 * node:cluster, each replaced when it dies; more than one needs PostgreSQL), PORTAL_API_CONCURRENCY (API requests
 * each process begins at once: lib/runtime/gate.ts), and the portal's own settings.
 *
 * Each process is a node:http server whose handler is the front (lib/runtime/front.ts): OCSP, the CRL, the CA
 * certificates and the assistant's files are answered there from the process's caches; everything else goes to
 * Next's request handler (`next({ dev: false, dir }).getRequestHandler()`), with the peer header set from the
 * socket. The holder's renewal API is answered by the front too, with the same route handlers (app/api/front-routes.ts,
 * lib/runtime/direct.ts; PORTAL_API_DIRECT=0 leaves it to Next).
 */

const dir = path.resolve(process.argv[2] ?? process.env.PORTAL_DIR ?? ".");
process.chdir(dir);
(process.env as Record<string, string>).NODE_ENV = "production";
process.env.NEXT_TELEMETRY_DISABLED ??= "1";
const port = Number(process.env.PORT || 3000);
const host = process.env.PORTAL_HOST || undefined;
const count = Math.max(1, Math.floor(Number(process.env.PORTAL_PROCESSES)) || 1);
// lib/config checks it at start (scripts/start.ts, the release's server.js); unset or empty: the front's default
const apiConcurrency = process.env.PORTAL_API_CONCURRENCY ? Number(process.env.PORTAL_API_CONCURRENCY) : undefined;

// Next runs with the configuration the app was built with, as Next's own standalone server.js does: a release folder
// has no next.config.ts, and without it Next warns on every start that "next start" does not suit "output: standalone"
// (no build at all: Next's own error says so)
const builtConfig = ".next/required-server-files.json";
if (existsSync(builtConfig))
  process.env.__NEXT_PRIVATE_STANDALONE_CONFIG ??= JSON.stringify(
    (JSON.parse(readFileSync(builtConfig, "utf8")) as { config: object }).config,
  );

async function serve(): Promise<void> {
  const { default: next } = await import("next");
  const { createFront } = await import("../lib/runtime/front");
  const { FRONT_ROUTES } = await import("../app/api/front-routes");
  const app = next({ dev: false, dir, port, hostname: host ?? "localhost" });
  await app.prepare();
  // RA mode (lib/pki/issuers): /ocsp, /crl and /ca answer from the upstream CA through Next's routes
  const builtinCa = (process.env.ISSUER ?? "builtin") === "builtin";
  // PORTAL_API_DIRECT=0: Next answers the holder API too (as `next dev` does)
  const direct = process.env.PORTAL_API_DIRECT === "0" ? undefined : FRONT_ROUTES;
  // loaded before listening, as Next preloads its own routes: not on the first holder's request (~1.5 s under tsx);
  // a module that fails here is tried again on its first request, and Next answers if it fails again
  if (direct) await Promise.all(Object.values(direct).map((load) => load().catch(() => undefined)));
  const server = http.createServer(
    createFront({ next: app.getRequestHandler(), pki: builtinCa, apiConcurrency, direct }),
  );
  // a little longer than the usual load balancer's idle timeout (nginx keepalive_timeout 60 s upstream: 60 s)
  server.keepAliveTimeout = 65_000;
  await new Promise<void>((resolve, reject) => {
    server.once("error", reject);
    server.listen(port, host, resolve);
  });
  let metrics: http.Server | null = null;
  if (!cluster.isWorker) {
    console.log(`portal listening on ${host ?? "*"}:${port} (${dir})`);
    // METRICS_PORT: this process's /metrics (lib/metrics/cluster.ts)
    metrics = serveClusterMetrics();
  }
  let closing = false;
  const stop = () => {
    if (closing) return;
    closing = true;
    metrics?.close();
    // requests held open for an order's payment (lib/orders/changes.ts) answer now rather than be cut off
    releaseOrderWatches();
    server.close(() => process.exit(0));
    server.closeIdleConnections();
    setTimeout(() => process.exit(0), 5000).unref();
  };
  process.on("SIGTERM", stop);
  process.on("SIGINT", stop);
}

function primary(): void {
  let stopping = false;
  for (let i = 0; i < count; i++) cluster.fork();
  // METRICS_PORT: /metrics of all the processes together (prom-client's cluster aggregation)
  const metrics = serveClusterMetrics();
  cluster.on("exit", (worker, code, signal) => {
    if (stopping) return;
    // a crashed process is replaced; the others keep serving meanwhile
    console.error(`portal process ${worker.process.pid} stopped (${signal ?? code}); starting another`);
    cluster.fork();
  });
  cluster.once("listening", () =>
    console.log(`portal listening on ${host ?? "*"}:${port}: ${count} processes (${dir})`),
  );
  const stop = () => {
    if (stopping) return;
    stopping = true;
    metrics?.close();
    for (const w of Object.values(cluster.workers ?? {})) w?.process.kill("SIGTERM");
    setTimeout(() => process.exit(0), 6000).unref();
    cluster.on("exit", () => {
      if (Object.keys(cluster.workers ?? {}).length === 0) process.exit(0);
    });
  };
  process.on("SIGTERM", stop);
  process.on("SIGINT", stop);
}

if (count > 1 && cluster.isPrimary) primary();
else
  await serve().catch((e: unknown) => {
    console.error("portal: cannot start:", e);
    process.exit(1);
  });
