import { systemClock } from "@/lib/clock";
import { getDb } from "@/lib/db";
import { getCa } from "@/lib/pki/ca";
import { servedCrl } from "@/lib/pki/crl";
import { conditionalOf, crlAnswer } from "@/lib/pki/http";

export const dynamic = "force-dynamic";

/** Under `npm start` the node:http front (lib/runtime/front.ts) answers this path; this route serves `next dev`. */
export async function GET(request: Request) {
  const crl = await servedCrl(await getDb(), { ca: await getCa(), clock: systemClock });
  const a = crlAnswer(conditionalOf(request.headers), crl);
  return new Response(a.status === 304 ? null : new Uint8Array(a.body), { status: a.status, headers: a.headers });
}
