import { getDb } from "@/lib/db";
import { recentHealth } from "@/lib/db/health";
import { json } from "@/lib/http/route";

export const dynamic = "force-dynamic";

/**
 * Liveness for load balancers and anyone else: `{"status":"ok"}` (200) when this process reaches its database with
 * every migration applied, else `{"status":"down"}` (503) — nothing more. The details are at /api/ready with the
 * metrics token. The probe is shared by this process's requests for up to a second (lib/db/health.ts recentHealth):
 * the answer reflects the database within a second, and a burst of probes costs one query a second, not one each.
 */
export async function GET() {
  try {
    const health = await recentHealth(await getDb());
    return json({ status: health.ok ? "ok" : "down" }, health.ok ? 200 : 503);
  } catch {
    return json({ status: "down" }, 503);
  }
}
