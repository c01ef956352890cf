import { AuditFilter, auditCsv } from "@/lib/staff/audit-log";
import { staffRoute } from "@/lib/staff/route";

export const GET = staffRoute("GET /api/staff/audit/export", { query: AuditFilter }, async (ctx) => {
  const rows = auditCsv(ctx.db, ctx.query);
  const encoder = new TextEncoder();
  let bom = true;
  const stream = new ReadableStream<Uint8Array>({
    async pull(controller) {
      // UTF-8 byte order mark first: Excel on Chinese Windows reads a CSV without it as GBK and garbles it
      if (bom) {
        bom = false;
        controller.enqueue(new Uint8Array([0xef, 0xbb, 0xbf]));
        return;
      }
      const next = await rows.next();
      if (next.done) controller.close();
      else controller.enqueue(encoder.encode(next.value));
    },
  });
  return new Response(stream, {
    headers: {
      "content-type": "text/csv; charset=utf-8",
      "content-disposition": 'attachment; filename="audit-log.csv"',
      "cache-control": "no-store",
    },
  });
});
