import { answerOcspHttp } from "@/lib/pki/ocsp-http";
import { processOcspDeps } from "@/lib/http/ocsp";
import { OCSP_MAX_REQUEST_BYTES } from "@/lib/pki/ocsp";

export const dynamic = "force-dynamic";

/** Under `npm start` the node:http front (lib/runtime/front.ts) answers this path; this route serves `next dev`. */
export async function POST(request: Request) {
  const declared = Number(request.headers.get("content-length") ?? 0);
  const body =
    declared > OCSP_MAX_REQUEST_BYTES
      ? Buffer.alloc(OCSP_MAX_REQUEST_BYTES + 1)
      : Buffer.from(await request.arrayBuffer());
  const a = await answerOcspHttp(await processOcspDeps(), {
    method: "POST",
    body,
    contentType: request.headers.get("content-type"),
  });
  return new Response(new Uint8Array(a.body), { status: a.status, headers: a.headers });
}

export async function GET() {
  const a = await answerOcspHttp(await processOcspDeps(), { method: "GET", path: "" });
  return new Response(new Uint8Array(a.body), { status: a.status, headers: a.headers });
}
