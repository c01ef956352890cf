import { AuditFilter, auditCsv } from "@/lib/staff/audit-log";
import { staffRoute } from "@/lib/staff/route";

export const GET = staffRoute("GET /api/staff/audit/export", { query: AuditFilter }, async (ctx) => {
  const rows = auditCsv(ctx.db, ctx.query);
  const encoder = new TextEncoder();
  const stream = new ReadableStream<Uint8Array>({
    async pull(controller) {
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
