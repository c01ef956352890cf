import { getDb } from "@/lib/db";
import { checkHealth } from "@/lib/db/health";
import { json } from "@/lib/http/route";

export const dynamic = "force-dynamic";

export async function GET() {
  try {
    const health = await checkHealth(await getDb());
    return json({ status: health.ok ? "ok" : "degraded", ...health }, health.ok ? 200 : 503);
  } catch (e) {
    const reason = e instanceof Error ? e.message.split("\n")[0].slice(0, 200) : "unknown";
    return json({ status: "down", database: "unreachable", reason }, 503);
  }
}
