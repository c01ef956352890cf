import { openDb } from "../../lib/db/client";
const db = await openDb({ url: process.env.DATABASE_URL! });
const p = db.prisma;
const o = await p.renewalOrder.findFirst({ orderBy: { createdAt: "desc" } });
if (!o) throw new Error("no order");
const cpu = () => { const u = process.cpuUsage(); return (u.user + u.system) / 1000; };
async function bench(name: string, fn: () => Promise<unknown>) {
  for (let i = 0; i < 300; i++) await fn();
  const N = 3000; const t = cpu();
  for (let i = 0; i < N; i++) await fn();
  console.log(name.padEnd(40), ((cpu() - t) / N * 1000).toFixed(0), "µs CPU/stmt");
}
for (let r = 0; r < 2; r++) {
await bench("order full findUnique", () => p.renewalOrder.findUnique({ where: { id: o.id } }));
await bench("order select id,state", () => p.renewalOrder.findUnique({ where: { id: o.id }, select: { id: true, state: true } }));
await bench("session full", () => p.session.findFirst({}));
await bench("raw pg via $queryRaw order *", () => p.$queryRaw`select * from "RenewalOrder" where id = ${o.id}`);
await bench("tx: order full in interactive tx", () => p.$transaction(async (tx) => tx.renewalOrder.findUnique({ where: { id: o.id } })));
await bench("raw adapter", async () => (p as any)._engine ? 0 : 0);
}

import pg from "pg";
const pool = new pg.Pool({ connectionString: process.env.DATABASE_URL, max: 2 });
for (let r = 0; r < 2; r++) {
  await bench("node-postgres named order *", () => pool.query({ name: "o1", text: 'select * from "RenewalOrder" where id = $1', values: [o.id] }));
  await bench("node-postgres named order id,state", () => pool.query({ name: "o2", text: 'select id, state from "RenewalOrder" where id = $1', values: [o.id] }));
  await bench("node-postgres tx order *", async () => { const c = await pool.connect(); try { await c.query("BEGIN"); await c.query({ name: "o1", text: 'select * from "RenewalOrder" where id = $1', values: [o.id] }); await c.query("COMMIT"); } finally { c.release(); } });
}
await pool.end();
await db.close();
