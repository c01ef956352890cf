import { getDb } from "@/lib/db";
import { checkHealth } from "@/lib/db/health";
import { json } from "@/lib/http/route";

export const dynamic = "force-dynamic";

/**
 * Liveness for load balancers and anyone else: `{"status":"ok"}` (200) when this process reaches its database with
 * every migration applied, else `{"status":"down"}` (503) — nothing more. The details are at /api/ready with the
 * metrics token.
 */
export async function GET() {
  try {
    const health = await checkHealth(await getDb());
    return json({ status: health.ok ? "ok" : "down" }, health.ok ? 200 : 503);
  } catch {
    return json({ status: "down" }, 503);
  }
}
