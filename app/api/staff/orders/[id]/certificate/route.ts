import { issuedCertificateDer } from "@/lib/staff/orders";
import { staffRoute } from "@/lib/staff/route";

export const GET = staffRoute("GET /api/staff/orders/[id]/certificate", {}, async (ctx) => {
  const { serial, der } = await issuedCertificateDer(ctx.db, String(ctx.params.id));
  return new Response(Buffer.from(der), {
    headers: {
      "content-type": "application/pkix-cert",
      "content-disposition": `attachment; filename="${serial}.cer"`,
      "cache-control": "no-store",
    },
  });
});
