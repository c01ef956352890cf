import client from "prom-client";

/**
 * Prometheus metrics (prom-client's default registry, one per process; lib/metrics/cluster.ts adds the processes
 * of one instance together). Counters and histograms are updated where things happen; the gauges read from the
 * database are registered by lib/ops/metrics.ts and computed at scrape time. Every name starts with certrenew_.
 * Kept on globalThis: Next may load this module more than once in one process.
 */

function create() {
  client.collectDefaultMetrics({ prefix: "certrenew_process_" });
  return {
    httpRequests: new client.Counter({
      name: "certrenew_http_requests_total",
      help: "API requests answered, by route pattern, method and status",
      labelNames: ["route", "method", "status"] as const,
    }),
    httpDuration: new client.Histogram({
      name: "certrenew_http_request_duration_seconds",
      help: "API request latency by route pattern and method",
      labelNames: ["route", "method"] as const,
      buckets: [0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1, 2.5, 5, 10],
    }),
    apiQueueWait: new client.Histogram({
      name: "certrenew_api_queue_wait_seconds",
      help: "How long API requests waited for a turn in their process (lib/runtime/gate.ts; 0 when begun at once)",
      buckets: [0.001, 0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1, 2],
    }),
    ocspAnswers: new client.Counter({
      name: "certrenew_ocsp_answers_total",
      help: "OCSP answers by source: memory and table are cache hits, signed is a miss, nonce is never cached",
      labelNames: ["source"] as const,
    }),
    signerErrors: new client.Counter({
      name: "certrenew_signer_errors_total",
      help: "CA signing operations that failed (file key or PKCS#11)",
    }),
    alipayCalls: new client.Counter({
      name: "certrenew_alipay_calls_total",
      help: "Alipay gateway calls by method and outcome (success, business error code, unavailable)",
      labelNames: ["method", "outcome"] as const,
    }),
    alipayNotifications: new client.Counter({
      name: "certrenew_alipay_notifications_total",
      help: "Alipay asynchronous notifications by outcome (success, fail, rejected:<code>)",
      labelNames: ["outcome"] as const,
    }),
  };
}

type Metrics = ReturnType<typeof create>;
const g = globalThis as { __certrenewMetrics?: Metrics };
export const metrics: Metrics = (g.__certrenewMetrics ??= create());

export const registry = client.register;

/** A route's pattern from its URL and Next's params: /api/orders/abc → /api/orders/[id] (bounded label values). */
export function routePattern(pathname: string, params: Record<string, string | string[]> = {}): string {
  const values = new Map<string, string>();
  for (const [name, v] of Object.entries(params))
    for (const one of Array.isArray(v) ? v : [v]) if (one) values.set(encodeURIComponent(one), `[${name}]`);
  return pathname
    .split("/")
    .map((seg) => values.get(seg) ?? seg)
    .join("/");
}

/** Text exposition of this process's metrics. */
export async function metricsText(): Promise<{ contentType: string; body: string }> {
  return { contentType: registry.contentType, body: await registry.metrics() };
}
