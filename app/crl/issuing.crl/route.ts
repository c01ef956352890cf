import { systemClock } from "@/lib/clock";
import { getConfig } from "@/lib/config";
import { getDb } from "@/lib/db";
import { getCa } from "@/lib/pki/ca";
import { servedCrl } from "@/lib/pki/crl";
import { conditionalOf, crlAnswer } from "@/lib/pki/http";
import { protocolMode } from "@/lib/pki/issuers";
import { answerRaCrl } from "@/lib/pki/issuers/status-endpoints";

export const dynamic = "force-dynamic";

/**
 * Under `npm start` the node:http front (lib/runtime/front.ts) answers this path with the built-in CA; this route
 * serves `next dev` and RA mode, where the portal signs no CRL: the operator's CA publishes it (proxied with a
 * cache, or pointed to).
 */
export async function GET(request: Request) {
  const config = getConfig();
  const mode = protocolMode(config);
  if (mode.kind !== "sign") {
    const a = await answerRaCrl(mode, config.UPSTREAM_TIMEOUT_MS);
    return new Response(new Uint8Array(a.body), { status: a.status, headers: a.headers });
  }
  const crl = await servedCrl(getDb, { ca: await getCa(), clock: systemClock });
  const a = crlAnswer(conditionalOf(request.headers), crl);
  return new Response(a.status === 304 ? null : new Uint8Array(a.body), { status: a.status, headers: a.headers });
}
