import { systemClock } from "@/lib/clock";
import { getDb } from "@/lib/db";
import { getCa } from "@/lib/pki/ca";
import { currentCrl } from "@/lib/pki/crl";

export const dynamic = "force-dynamic";

export async function GET() {
  const crl = await currentCrl(await getDb(), { ca: await getCa(), clock: systemClock });
  return new Response(new Uint8Array(crl.der), {
    headers: {
      "content-type": "application/pkix-crl",
      "content-disposition": 'attachment; filename="issuing.crl"',
      "cache-control": "public, max-age=300",
    },
  });
}
