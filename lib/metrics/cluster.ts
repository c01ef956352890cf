import cluster from "node:cluster";
import http from "node:http";
import client from "prom-client";

/**
 * METRICS_PORT: the primary process of a node:cluster front serves GET /metrics with every worker's metrics
 * added together (prom-client's AggregatorRegistry asks each worker over IPC); a single-process front serves its
 * own registry the same way. Bound to METRICS_HOST (default 127.0.0.1): scrape it from the machine or a private
 * network, never through the public site. Returns the server, or null when METRICS_PORT is not set.
 */
export function serveClusterMetrics(env: NodeJS.ProcessEnv = process.env): http.Server | null {
  const port = Number(env.METRICS_PORT);
  if (!port) return null;
  const aggregate = new client.AggregatorRegistry();
  const server = http.createServer((req, res) => {
    if (req.url !== "/metrics") {
      res.writeHead(404).end();
      return;
    }
    const workers = Object.keys(cluster.workers ?? {}).length > 0;
    (workers ? aggregate.clusterMetrics() : client.register.metrics()).then(
      (body) => res.writeHead(200, { "content-type": client.register.contentType }).end(body),
      (err: unknown) => res.writeHead(500, { "content-type": "text/plain" }).end(String(err)),
    );
  });
  server.listen(port, env.METRICS_HOST || "127.0.0.1");
  return server;
}
