import cluster from "node:cluster";
import { readFileSync } from "node:fs";
import http from "node:http";
import { createRequire } from "node:module";
import path from "node:path";
import { serveClusterMetrics } from "../../lib/metrics/cluster";

/**
 * The release's process front until perf's scripts/portal-server.ts replaces it (scripts/release/assemble.ts
 * FRONT): PORTAL_PROCESSES processes on PORT (node:cluster), each a node:http server handing every request to
 * Next's request handler for the built app in the cwd's `.next`. As the front contract says, the peer address
 * is passed on in `x-certrenew-peer` (any incoming one is dropped first). METRICS_PORT: the primary serves
 * /metrics for all processes together (prom-client's cluster aggregation).
 */

const PEER_HEADER = "x-certrenew-peer";
const port = Number(process.env.PORT) || 3000;
const host = process.env.HOSTNAME || "0.0.0.0";
const count = Math.max(1, Number(process.env.PORTAL_PROCESSES) || 1);

if (cluster.isPrimary && count > 1) {
  let stopping = false;
  for (let i = 0; i < count; i++) cluster.fork();
  cluster.on("exit", (worker, code, signal) => {
    if (stopping) return;
    console.error(`portal process ${worker.process.pid} stopped (${signal ?? code}); starting another`);
    cluster.fork();
  });
  const metrics = serveClusterMetrics();
  const stop = () => {
    if (stopping) return;
    stopping = true;
    metrics?.close();
    for (const w of Object.values(cluster.workers ?? {})) w?.process.kill("SIGTERM");
    setTimeout(() => process.exit(0), 5000).unref();
    cluster.on("exit", () => {
      if (Object.keys(cluster.workers ?? {}).length === 0) process.exit(0);
    });
  };
  process.on("SIGTERM", stop);
  process.on("SIGINT", stop);
} else {
  const dir = process.cwd();
  // the configuration the app was built with (what Next's standalone server.js passes)
  const conf = (
    JSON.parse(readFileSync(path.join(dir, ".next", "required-server-files.json"), "utf8")) as { config: object }
  ).config;
  process.env.__NEXT_PRIVATE_STANDALONE_CONFIG ??= JSON.stringify(conf);
  const next = createRequire(path.join(dir, "package.json"))("next") as (opts: object) => {
    prepare(): Promise<void>;
    getRequestHandler(): (req: http.IncomingMessage, res: http.ServerResponse) => Promise<void>;
  };
  const app = next({ dev: false, dir, conf, hostname: host, port });
  await app.prepare();
  const handle = app.getRequestHandler();
  const server = http.createServer((req, res) => {
    req.headers[PEER_HEADER] = req.socket.remoteAddress ?? "";
    handle(req, res).catch((err: unknown) => {
      console.error(err);
      if (!res.headersSent) res.writeHead(500);
      res.end();
    });
  });
  server.keepAliveTimeout = Number(process.env.KEEP_ALIVE_TIMEOUT) || 65_000;
  server.listen(port, host, () => {
    if (cluster.isPrimary) serveClusterMetrics();
    console.log(`portal process ${process.pid} listening on ${host}:${port}`);
  });
  const stop = () => server.close(() => process.exit(0));
  process.on("SIGTERM", stop);
  process.on("SIGINT", stop);
}
