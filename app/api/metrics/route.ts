import { metricsText } from "@/lib/metrics";
import { hasMetricsToken, registerOpsMetrics } from "@/lib/runtime/ops";

export const dynamic = "force-dynamic";

/**
 * Prometheus metrics of THIS process behind `Authorization: Bearer METRICS_TOKEN` (404 without the token, so the
 * endpoint does not announce itself). With several processes per instance scrape the front's METRICS_PORT instead,
 * which adds every process's counters together.
 */
export async function GET(req: Request) {
  if (!hasMetricsToken(req)) return new Response("not found", { status: 404 });
  registerOpsMetrics();
  const { contentType, body } = await metricsText();
  return new Response(body, { headers: { "content-type": contentType, "cache-control": "no-store" } });
}
