import { getCa } from "@/lib/pki/ca";

export const dynamic = "force-dynamic";

export async function GET() {
  const ca = await getCa();
  return new Response(new Uint8Array(ca.rootCert), {
    headers: {
      "content-type": "application/pkix-cert",
      "content-disposition": 'attachment; filename="root.cer"',
      "cache-control": "public, max-age=3600",
    },
  });
}
