import { systemClock } from "@/lib/clock";
import { getConfig } from "@/lib/config";
import { getDb } from "@/lib/db";
import { getCa } from "@/lib/pki/ca";
import { currentCrl } from "@/lib/pki/crl";
import { protocolMode } from "@/lib/pki/issuers";
import { answerRaCrl } from "@/lib/pki/issuers/status-endpoints";

export const dynamic = "force-dynamic";

export async function GET() {
  const config = getConfig();
  const mode = protocolMode(config);
  if (mode.kind !== "sign") {
    // RA mode: the portal signs no CRL; the operator's CA publishes it (proxied with a cache, or pointed to)
    const a = await answerRaCrl(mode, config.UPSTREAM_TIMEOUT_MS);
    return new Response(new Uint8Array(a.body), { status: a.status, headers: a.headers });
  }
  const crl = await currentCrl(await getDb(), { ca: await getCa(), clock: systemClock });
  return new Response(new Uint8Array(crl.der), {
    headers: {
      "content-type": "application/pkix-crl",
      "content-disposition": 'attachment; filename="issuing.crl"',
      "cache-control": "public, max-age=300",
    },
  });
}
