import { parseArgs } from "node:util";
import pg from "pg";
import { useTestEnv } from "../lib/dev/testing/env";
import { openDb } from "../lib/db/client";
import { applyMigrations } from "../lib/db/migrate";
import { appendAudit, currentChainKeys, verifyAuditChain, withTx } from "../lib/audit";
import { eventHash, keyring } from "../lib/audit/chain";
import { systemClock } from "../lib/clock";
import { commandLine, machine } from "../lib/dev/sim/stats";
import { dbOption } from "./lib/env";

/**
 * `npx tsx bench/audit-append.ts [--db postgresql://…/postgres] [--count 400] [--concurrency 40] [--rounds 3]`
 *
 * The holder flow's bottleneck in session 6 (issue #22): every audited transaction appended to one hash chain under
 * one lock, so the flow's capacity was 1 / (time the lock is held). Measures audited transactions per second on
 * PostgreSQL with `--concurrency` at once (a pool of 10 connections), alternating, in the same process and database:
 * - one lane: session 6's append (the one head row locked FOR UPDATE, the event inserted, the head moved, COMMIT);
 * - lanes: lib/audit's withTx + appendAudit (16 lanes: the lowest free lane's head FOR UPDATE SKIP LOCKED, the
 *   events and the lane's new head in one statement, COMMIT).
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

/** Session 6's append: the one head row (now lane 1) locked FOR UPDATE, the event inserted, the head moved. */
async function before(i: number): Promise<void> {
  await db.$transaction(async (tx) => {
    const [head] = await tx.$queryRaw<{ hash: string }[]>`SELECT "hash" FROM "AuditHead" WHERE "id" = 1 FOR UPDATE`;
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
      prevHash: head.hash,
    };
    const hash = eventHash(row, keys.alg, keys);
    const e = await tx.auditEvent.create({
      data: { ...row, alg: keys.alg, keyId: keyring(keys)[0].kid, hash, lane: 1 },
    });
    await tx.auditHead.update({ where: { id: 1 }, data: { hash, seq: e.seq } });
  });
}

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
  for (let i = 0; i < 20; i++) await now(-1);
  const ratios: number[] = [];
  for (let r = 0; r < Number(args.rounds); r++) {
    const b = await run("one lane (session 6: the head row FOR UPDATE, insert, head)", before);
    const a = await run("lanes (lib/audit now: the lowest free lane's head, insert + head)", now);
    ratios.push(a / b);
  }
  console.log(`ratio lanes/one lane per round: ${ratios.map((x) => x.toFixed(2)).join(", ")}`);
  console.log(`audit chain verifies: ${(await verifyAuditChain(db)).ok}`);
} finally {
  busy = false;
  await close();
  await admin.query(`DROP DATABASE IF EXISTS "${name}" WITH (FORCE)`);
  await admin.end();
}
