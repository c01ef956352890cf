import { answerOcspHttp } from "@/lib/pki/ocsp-http";
import { processOcspDeps } from "@/lib/http/ocsp";

export const dynamic = "force-dynamic";

/** GET /ocsp/<base64 DER request> (RFC 6960 A.1); the raw path keeps '/' and '+' of the base64 intact. */
export async function GET(request: Request) {
  const path = new URL(request.url).pathname.replace(/^\/ocsp\/?/, "");
  const a = await answerOcspHttp(await processOcspDeps(), { method: "GET", path });
  return new Response(new Uint8Array(a.body), { status: a.status, headers: a.headers });
}
