import { answerOcspHttp } from "@/lib/pki/ocsp-http";
import { processOcspDeps } from "@/lib/http/ocsp";
import { OCSP_MAX_REQUEST_BYTES } from "@/lib/pki/ocsp";
import { getConfig } from "@/lib/config";
import { protocolMode } from "@/lib/pki/issuers";
import { answerRaOcsp } from "@/lib/pki/issuers/status-endpoints";

export const dynamic = "force-dynamic";

/** Under `npm start` the node:http front (lib/runtime/front.ts) answers this path; this route serves `next dev`. */
export async function POST(request: Request) {
  const declared = Number(request.headers.get("content-length") ?? 0);
  const body =
    declared > OCSP_MAX_REQUEST_BYTES
      ? Buffer.alloc(OCSP_MAX_REQUEST_BYTES + 1)
      : Buffer.from(await request.arrayBuffer());
  const req = { method: "POST", body, contentType: request.headers.get("content-type") };
  const config = getConfig();
  // RA mode: the operator's CA answers (proxy) or is named (pointer); builtin: the portal's CA signs
  const mode = protocolMode(config);
  const a =
    mode.kind === "sign"
      ? await answerOcspHttp(await processOcspDeps(), req)
      : await answerRaOcsp(mode, req, config.UPSTREAM_TIMEOUT_MS);
  return new Response(new Uint8Array(a.body), { status: a.status, headers: a.headers });
}

export async function GET() {
  const config = getConfig();
  const mode = protocolMode(config);
  const a =
    mode.kind === "sign"
      ? await answerOcspHttp(await processOcspDeps(), { method: "GET", path: "" })
      : await answerRaOcsp(mode, { method: "GET", path: "" }, config.UPSTREAM_TIMEOUT_MS);
  return new Response(new Uint8Array(a.body), { status: a.status, headers: a.headers });
}
