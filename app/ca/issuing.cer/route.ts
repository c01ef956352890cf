import { getCa } from "@/lib/pki/ca";
import { caCertAnswer, conditionalOf } from "@/lib/pki/http";

export const dynamic = "force-dynamic";

/** Under `npm start` the node:http front (lib/runtime/front.ts) answers this path; this route serves `next dev`. */
export async function GET(request: Request) {
  const ca = await getCa();
  const a = caCertAnswer(conditionalOf(request.headers), ca.issuingCert, "issuing.cer");
  return new Response(a.status === 304 ? null : new Uint8Array(a.body), { status: a.status, headers: a.headers });
}
