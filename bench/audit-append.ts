import { parseArgs } from "node:util";
import pg from "pg";
import { useTestEnv } from "../lib/dev/testing/env";
import { openDb } from "../lib/db/client";
import { applyMigrations } from "../lib/db/migrate";
import { appendAudit, currentChainKeys, verifyAuditChain, withTx } from "../lib/audit";
import { eventHash, GENESIS } from "../lib/audit/chain";
import { systemClock } from "../lib/clock";
import { commandLine, machine } from "../lib/dev/sim/stats";
import { dbOption } from "./lib/env";

/**
 * `npx tsx bench/audit-append.ts [--db postgresql://…/postgres] [--count 400] [--concurrency 40] [--rounds 3]`
 *
 * The holder flow's bottleneck (issue #22): every audited transaction appends to one hash chain under one lock, so
 * the flow's capacity is 1 / (time the lock is held). Measures audited transactions per second on PostgreSQL with
 * `--concurrency` at once, alternating, in the same process and database:
 * - before: `pg_advisory_xact_lock`, then a read of the newest event, then the INSERT, then COMMIT (how lib/audit
 *   appended until session 6);
 * - now: lib/audit's withTx + appendAudit (the AuditHead row: lock and read in one SELECT … FOR UPDATE, the events
 *   and the new head in one statement, then COMMIT).
 * The process keeps its event loop busy (2 ms of work every few ms), as a loaded portal does: each round trip under
 * the lock waits for the event loop, which is what makes the lock expensive in the flow.
 */

useTestEnv();
const { values: args } = parseArgs({
  options: {
    db: dbOption,
    count: { type: "string", default: "400" },
    concurrency: { type: "string", default: "40" },
    rounds: { type: "string", default: "3" },
  },
});

console.log(`$ ${commandLine()}`);
console.log(`date ${new Date().toISOString()}  machine ${machine()}`);

const admin = new pg.Client({ connectionString: args.db });
await admin.connect();
const name = `certrenew_bench_audit_${Date.now()}`;
await admin.query(`CREATE DATABASE "${name}"`);
const url = new URL(args.db!);
url.pathname = `/${name}`;
await applyMigrations({ url: url.toString() });
const { prisma: db, close } = await openDb({ url: url.toString(), poolSize: 10 });

async function before(i: number): Promise<void> {
  await db.$transaction(async (tx) => {
    await tx.$executeRaw`SELECT pg_advisory_xact_lock(4242001)`;
    const last = await tx.auditEvent.findFirst({ orderBy: { seq: "desc" }, select: { hash: true } });
    const keys = currentChainKeys();
    const row = {
      actorType: "system",
      actorId: null,
      action: "bench.audit",
      targetType: "bench",
      targetId: String(i),
      fromState: null,
      toState: null,
      ip: null,
      userAgent: null,
      data: { i },
      createdAt: new Date(),
      prevHash: last?.hash ?? GENESIS,
    };
    await tx.auditEvent.createMany({ data: [{ ...row, alg: keys.alg, hash: eventHash(row, keys.alg, keys) }] });
  });
}

/** After a "before" round the head is moved to the newest event, as the migration that added it does. */
const syncHead = () =>
  db.$executeRaw`UPDATE "AuditHead" SET "hash" = (SELECT "hash" FROM "AuditEvent" ORDER BY "seq" DESC LIMIT 1)`;

async function now(i: number): Promise<void> {
  await withTx(db, (tx) =>
    appendAudit(
      tx,
      { actorType: "system", action: "bench.audit", targetType: "bench", targetId: String(i) },
      systemClock,
    ),
  );
}

let busy = true;
const spin = () => {
  if (!busy) return;
  const t = performance.now();
  while (performance.now() - t < 2);
  setTimeout(spin, 1);
};
spin();

async function run(label: string, append: (i: number) => Promise<void>): Promise<number> {
  const n = Number(args.count);
  let next = 0;
  const t0 = performance.now();
  await Promise.all(
    Array.from({ length: Number(args.concurrency) }, async () => {
      while (next < n) await append(next++);
    }),
  );
  const perS = n / ((performance.now() - t0) / 1000);
  console.log(`${label}: ${n} audited transactions, ${perS.toFixed(0)}/s`);
  return perS;
}

try {
  // warm-up, not counted: the first transactions of each kind load Prisma's query plans
  for (let i = 0; i < 20; i++) await before(-1);
  await syncHead();
  for (let i = 0; i < 20; i++) await now(-1);
  const ratios: number[] = [];
  for (let r = 0; r < Number(args.rounds); r++) {
    const b = await run("before (advisory lock, read, insert)", before);
    await syncHead();
    const a = await run("now (AuditHead FOR UPDATE, insert + head)", now);
    ratios.push(a / b);
  }
  console.log(`ratio now/before per round: ${ratios.map((x) => x.toFixed(2)).join(", ")}`);
  console.log(`audit chain verifies: ${(await verifyAuditChain(db)).ok}`);
} finally {
  busy = false;
  await close();
  await admin.query(`DROP DATABASE IF EXISTS "${name}" WITH (FORCE)`);
  await admin.end();
}
