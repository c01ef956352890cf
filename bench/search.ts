import { createHash } from "node:crypto";
import { parseArgs } from "node:util";
import pg from "pg";
import os from "node:os";
import { PrismaPg } from "@prisma/adapter-pg";
import { PrismaClient } from "../lib/generated/prisma/client";
import { applyMigrations } from "../lib/db/migrate";
import { OrderSearch, searchOrders } from "../lib/staff/search";
import { Recorder, commandLine, machine, statsTable } from "../lib/dev/sim/stats";

/**
 * `DATABASE_URL=postgresql://… npx tsx bench/search.ts [--orders 1000000] [--runs 200] [--reseed]`
 * Seeds a scratch database (certrenew_bench on the same server) with N orders over N/10 certificates in a few
 * INSERT … SELECT generate_series statements, then times each helpdesk search form through searchOrders (the
 * code the console runs) and prints p50/p95/p99. Goal: p95 < 20 ms at 1 M orders.
 * A second table runs EXPLAIN ANALYZE on the very SQL Prisma sent: the database's own execution time and
 * whether the plan scans the whole table, which a busy machine's client-side latency cannot hide.
 */

const { values } = parseArgs({
  options: {
    orders: { type: "string", default: "1000000" },
    runs: { type: "string", default: "200" },
    reseed: { type: "boolean", default: false },
  },
});
const N = Number(values.orders);
const RUNS = Number(values.runs);
const base = process.env.DATABASE_URL;
if (!base) {
  console.error("DATABASE_URL is required (a PostgreSQL server; the bench creates the database certrenew_bench on it)");
  process.exit(2);
}
const url = new URL(base);
url.pathname = "/certrenew_bench";
const CERTS = Math.max(1, Math.floor(N / 10));
const NAMES = Math.max(1, Math.floor(CERTS / 2));
const DAY_MS = 86_400_000;
const NOW = Date.parse("2026-11-25T02:00:00Z");

async function prepare(): Promise<void> {
  const admin = new pg.Client({ connectionString: base });
  await admin.connect();
  const exists = (await admin.query("SELECT 1 FROM pg_database WHERE datname = 'certrenew_bench'")).rowCount === 1;
  if (exists && values.reseed) await admin.query('DROP DATABASE "certrenew_bench" WITH (FORCE)');
  if (!exists || values.reseed) await admin.query('CREATE DATABASE "certrenew_bench"');
  await admin.end();
  await applyMigrations({ url: url.toString() });

  const c = new pg.Client({ connectionString: url.toString() });
  await c.connect();
  const have = Number((await c.query('SELECT count(*) AS n FROM "RenewalOrder"')).rows[0].n);
  if (have === N) {
    console.log(`reusing ${have} seeded orders (--reseed to start over)`);
    await c.end();
    return;
  }
  await c.query('TRUNCATE "RenewalOrder", "Certificate" CASCADE');
  const t = performance.now();
  // certificate n: id/serial derived from n so orders can refer to it without a join
  await c.query(
    `INSERT INTO "Certificate" ("id", "serial", "subjectDn", "issuerDn", "holderName", "holderIdType", "holderIdEnc", "holderIdHash",
       "holderIdLast4", "certType", "payerClass", "keyAlgorithm", "spkiSha256", "notBefore", "notAfter", "der")
     SELECT md5('c' || n)::uuid::text, md5('s' || n), 'CN=bench ' || n, 'CN=Bench CA', '德州测试单位' || (n % $2), 'resident_id', 'x', md5('h' || n),
       lpad(((n * 7919) % 10000)::text, 4, '0'), CASE WHEN n % 3 = 0 THEN 'personal' ELSE 'organisation' END::"CertType",
       CASE WHEN n % 5 = 0 THEN 'unified' ELSE 'self' END::"PayerClass", 'EC-P256', md5('k' || n),
       to_timestamp($3 / 1000.0 - 400 * 86400)::timestamp, to_timestamp($3 / 1000.0 + (n % 700) * 86400)::timestamp, '\\x00'
     FROM generate_series(0, $1 - 1) AS n`,
    [CERTS, NAMES, NOW],
  );
  // ~1% of orders still in flight (awaiting payment, paid, issuing), the rest finished
  await c.query(
    `INSERT INTO "RenewalOrder" ("id", "orderNo", "certificateId", "state", "certSerial", "holderName", "certType", "payerClass",
       "fenPerYear", "years", "priceFen", "newNotAfter", "handlerName", "handlerIdType", "handlerIdEnc", "handlerIdLast4",
       "handlerMobileEnc", "handlerMobileLast4", "handlerEmail", "createdAt", "updatedAt")
     SELECT md5('o' || g)::uuid::text, 'R' || lpad(g::text, 12, '0'), md5('c' || (g % $2))::uuid::text,
       (CASE WHEN g % 1000 = 1 THEN 'paid' WHEN g % 1000 = 2 THEN 'issuing' WHEN g % 100 = 3 THEN 'awaiting_payment'
             WHEN g % 10 = 4 THEN 'cancelled' WHEN g % 10 = 5 THEN 'expired' ELSE 'installed' END)::"OrderState",
       md5('s' || (g % $2)), '德州测试单位' || ((g % $2) % $3), 'organisation', 'self', 10000, 1, 10000,
       to_timestamp($4 / 1000.0 + 365 * 86400)::timestamp, '经办人' || (g % 997), 'resident_id', 'x',
       lpad(((g * 31) % 10000)::text, 4, '0'), 'x', lpad(((g * 7) % 10000)::text, 4, '0'), 'h' || g || '@example.com',
       to_timestamp($4 / 1000.0 - (g::float8 / $1) * 730 * 86400)::timestamp, to_timestamp($4 / 1000.0 - (g::float8 / $1) * 730 * 86400 + 600)::timestamp
     FROM generate_series(1, $1) AS g`,
    [N, CERTS, NAMES, NOW],
  );
  await c.query('VACUUM ANALYZE "RenewalOrder"');
  await c.query('VACUUM ANALYZE "Certificate"');
  console.log(`seeded ${N} orders over ${CERTS} certificates in ${((performance.now() - t) / 1000).toFixed(1)} s`);
  await c.end();
}

await prepare();
const prisma = new PrismaClient({
  adapter: new PrismaPg({ connectionString: url.toString(), max: 4 }),
  log: [{ emit: "event", level: "query" }],
});
let lastQuery: { query: string; params: string } | null = null;
prisma.$on("query", (e) => {
  lastQuery = { query: e.query, params: e.params };
});
const rec = new Recorder();
const server = new Recorder();
const seqScans = new Map<string, number>();
const day = (ms: number) => new Date(ms + 8 * 3_600_000).toISOString().slice(0, 10);
const pick = (n: number) => Math.floor(Math.random() * n);

const FORMS: [string, () => Record<string, string>][] = [
  ["order number", () => ({ orderNo: `R${String(1 + pick(N)).padStart(12, "0")}` })],
  ["certificate serial", () => ({ serial: md5Hex(`s${pick(CERTS)}`) })],
  ["holder name (full)", () => ({ holderName: `德州测试单位${pick(NAMES)}` })],
  ["holder name prefix (many matches)", () => ({ holderName: `德州测试单位${1 + pick(9)}` })],
  ["handler phone last 4", () => ({ phoneLast4: String(pick(10000)).padStart(4, "0") })],
  [
    "handler ID last 4 + 90 days",
    () => ({ idLast4: String(pick(10000)).padStart(4, "0"), from: day(NOW - 90 * DAY_MS), to: day(NOW) }),
  ],
  ["date range (one week)", () => ({ from: day(NOW - (7 + pick(700)) * DAY_MS), to: day(NOW - pick(7) * DAY_MS) })],
  ["state: issuing (rare)", () => ({ state: "issuing" })],
  ["state: installed, oldest first", () => ({ state: "installed", sort: "created_asc" })],
  ["no filter, recently updated", () => ({ sort: "updated_desc" })],
  ["no filter, page 20", () => ({ page: "20" })],
];

function md5Hex(s: string): string {
  return createHash("md5").update(s).digest("hex");
}

interface PlanNode {
  "Node Type": string;
  Plans?: PlanNode[];
}
const hasSeqScan = (n: PlanNode): boolean => n["Node Type"] === "Seq Scan" || (n.Plans ?? []).some(hasSeqScan);

const pgc = new pg.Client({ connectionString: url.toString() });
await pgc.connect();
async function explain(step: string, q: { query: string; params: string }) {
  const res = await pgc.query(`EXPLAIN (ANALYZE, FORMAT JSON) ${q.query}`, JSON.parse(q.params) as unknown[]);
  const [out] = res.rows[0]["QUERY PLAN"] as [{ Plan: PlanNode; "Execution Time": number }];
  server.record(step, out["Execution Time"]);
  if (hasSeqScan(out.Plan)) seqScans.set(step, (seqScans.get(step) ?? 0) + 1);
}

// warm the pool and the caches once per form
for (const [, make] of FORMS) await searchOrders(prisma, OrderSearch.parse(make()));
const loadBefore = os.loadavg()[0];
for (let i = 0; i < RUNS; i++) {
  for (const [label, make] of FORMS) {
    await rec.time(label, () => searchOrders(prisma, OrderSearch.parse(make())));
    if (i % 5 === 0 && lastQuery) await explain(label, lastQuery);
  }
}
const loadAfter = os.loadavg()[0];
await pgc.end();
await prisma.$disconnect();

console.log(`\n$ ${commandLine()}`);
console.log(
  `${machine()}; load average ${loadBefore.toFixed(1)} → ${loadAfter.toFixed(1)}; ${N} orders, ${CERTS} certificates, ${RUNS} runs per form, one at a time\n`,
);
console.log("client side (searchOrders through Prisma, as the console calls it):");
console.log(statsTable(rec.stats()));
console.log("\ndatabase side (EXPLAIN ANALYZE execution time of the same SQL, every 5th run):");
console.log(statsTable(server.stats()));
const scans = [...seqScans.entries()];
console.log(
  scans.length
    ? `\nplans with a sequential scan: ${scans.map(([k, n]) => `${k} (${n}×)`).join(", ")}`
    : "\nno plan scans the whole table",
);
const slow = rec.stats().filter((s) => s.p95 >= 20);
console.log(
  slow.length
    ? `client p95 at or above the 20 ms goal: ${slow.map((s) => s.step).join(", ")}`
    : "every form is under the 20 ms p95 goal (client side)",
);
process.exit(0);
