import { answerOcspHttp } from "@/lib/pki/ocsp-http";
import { conditionalOf } from "@/lib/pki/http";
import { processOcspDeps } from "@/lib/http/ocsp";
import { getConfig } from "@/lib/config";
import { protocolMode } from "@/lib/pki/issuers";
import { answerRaOcsp } from "@/lib/pki/issuers/status-endpoints";

export const dynamic = "force-dynamic";

/**
 * GET /ocsp/<base64 DER request> (RFC 6960 A.1, RFC 5019); the raw path keeps '/' and '+' of the base64 intact.
 * Under `npm start` the node:http front (lib/runtime/front.ts) answers this path; this route serves `next dev`.
 */
export async function GET(request: Request) {
  const path = new URL(request.url).pathname.replace(/^\/ocsp\/?/, "");
  const config = getConfig();
  const mode = protocolMode(config);
  const a =
    mode.kind === "sign"
      ? await answerOcspHttp(await processOcspDeps(), { method: "GET", path, ...conditionalOf(request.headers) })
      : await answerRaOcsp(mode, { method: "GET", path }, config.UPSTREAM_TIMEOUT_MS);
  return new Response(a.status === 304 ? null : new Uint8Array(a.body), { status: a.status, headers: a.headers });
}
