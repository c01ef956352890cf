import { json } from "@/lib/http/route";
import { hasMetricsToken, processReadiness } from "@/lib/runtime/ops";

export const dynamic = "force-dynamic";

/**
 * Readiness: database, migrations, CA signer usable, CRL fresh, jobs not lagging, outbox not stuck, nothing paid and
 * left unissued. 200 when all pass, else 503. The checks' details only with `Authorization: Bearer METRICS_TOKEN`.
 */
export async function GET(req: Request) {
  let ready;
  try {
    ready = await processReadiness();
  } catch {
    return json({ status: "not ready" }, 503);
  }
  const status = ready.ok ? "ready" : "not ready";
  return json(hasMetricsToken(req) ? { status, checks: ready.checks } : { status }, ready.ok ? 200 : 503);
}
