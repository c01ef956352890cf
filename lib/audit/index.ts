import type { Db, Tx } from "../db";
import { TX_OPTIONS } from "../db/client";
import { PrismaTxNeeded, sqlRows, sqlTransaction, type Sql, type SqlTx } from "../db/lean";
import { eventHash, GENESIS, keyId, type Hashable } from "./chain";
import { currentChainKeys } from "./keys";
import type { Clock } from "../clock";
import type { AuditEvent, Prisma } from "../generated/prisma/client";

export type ActorType = "holder" | "staff" | "system" | "alipay" | "org";

export interface AuditInput {
  actorType: ActorType;
  actorId?: string | null;
  action: string;
  targetType: string;
  targetId?: string | null;
  fromState?: string | null;
  toState?: string | null;
  ip?: string | null;
  userAgent?: string | null;
  data?: Record<string, unknown>;
}

/** Who did it and from where; routes build it once and hand it to the domain. */
export interface Actor {
  type: ActorType;
  id?: string | null;
  ip?: string | null;
  userAgent?: string | null;
}

type AuditRow = Hashable & { data: Prisma.InputJsonObject };

/**
 * Options for withTx; unset ones keep the client's defaults (lib/db: room for the chain's lock under load).
 * `isolationLevel` is Prisma's own setting.
 */
export interface TxOptions {
  maxWait?: number;
  timeout?: number;
  isolationLevel?: Prisma.TransactionIsolationLevel;
}

// The events each open withTx or withSqlTx transaction has appended so far, by its transaction client (Prisma makes
// one per transaction; a property set on it would land on the shared client underneath). Module state is enough: the
// code that appends to a transaction is always bundled with the withTx that opened it.
const pending = new WeakMap<Sql, AuditRow[]>();

/**
 * Runs `fn` in an interactive transaction and seals the audit events it appended just before COMMIT: they are
 * chained and written in one go under a chain lane's lock (lockLane), so the lock is held only for that write and the COMMIT,
 * and transactions that append audit events overlap for all their other statements. Every transaction that
 * appends audit events is opened here or by withSqlTx; appendAudit refuses any other.
 */
export function withTx<T>(db: Db, fn: (tx: Tx) => Promise<T>, options?: TxOptions): Promise<T> {
  return committed(db, (seal) => db.$transaction((tx) => sealed(tx, fn, seal), options));
}

/**
 * withTx for a transaction of plain SQL only (lib/db/lean.ts SqlTx): it runs on the driver, without Prisma's
 * interactive-transaction machinery (~0.3 ms of CPU per transaction and ~0.15 ms per statement in it;
 * bench/README.md), and seals its audit events the same way. The holder's path uses it.
 */
export function withSqlTx<T>(db: Db, fn: (tx: SqlTx) => Promise<T>, options?: TxOptions): Promise<T> {
  // the client's own limits (room for the chain's lock under load), as Prisma's transactions have them
  return committed(db, (seal) => sqlTransaction(db, (tx) => sealed(tx, fn, seal), { ...TX_OPTIONS, ...options }));
}

/**
 * `fn` in withSqlTx, or in withTx when `prisma` says so or `fn` finds it needs Prisma's model calls after all (it
 * calls lib/db/lean.ts prismaTx, which throws before anything is written; that transaction is rolled back).
 */
export async function withSqlTxOrPrisma<T>(
  db: Db,
  opts: TxOptions & { prisma?: boolean },
  fn: (tx: Sql) => Promise<T>,
): Promise<T> {
  const { prisma, ...options } = opts;
  if (!prisma) {
    try {
      return await withSqlTx(db, fn, options);
    } catch (e) {
      if (!(e instanceof PrismaTxNeeded)) throw e;
    }
  }
  return withTx(db, fn, options);
}

/** What a transaction's seal left: the lane it wrote and the lane's new head, known to be committed once it is. */
interface Seal {
  lanes: LaneCache;
  wrote?: LaneHead;
}

/** `run` (a transaction that seals with the Seal it is given); the lane it wrote is remembered once it committed. */
async function committed<T>(db: Db, run: (seal: Seal) => Promise<T>): Promise<T> {
  const seal: Seal = { lanes: laneCache(db) };
  const result = await run(seal);
  if (seal.wrote) {
    // last in the map's order: the lane taken next (takeLane), so a quiet process keeps writing one lane
    seal.lanes.delete(seal.wrote.lane);
    seal.lanes.set(seal.wrote.lane, seal.wrote.hash);
  }
  return result;
}

async function sealed<X extends Sql, T>(tx: X, fn: (tx: X) => Promise<T>, seal: Seal): Promise<T> {
  const queue: AuditRow[] = [];
  pending.set(tx, queue);
  seal.wrote = undefined;
  const result = await fn(tx);
  pending.delete(tx);
  if (queue.length) seal.wrote = await writeChained(tx, queue, seal.lanes);
  return result;
}

/** The client itself, not a transaction client (Prisma leaves `$connect` off those). */
const isClient = (db: Sql): db is Db => typeof (db as Partial<Db>).$connect === "function";

function pendingOf(tx: Sql): AuditRow[] {
  const queue = pending.get(tx);
  if (!queue) throw new Error("audit events are written in a transaction opened by withTx or withSqlTx (lib/audit)");
  return queue;
}

/**
 * Appends one event to the hash chain. Call it inside the withTx transaction of the change it records: the event is
 * written when the transaction's work is done. On the client itself (no transaction) it opens one of its own.
 * Any other transaction is refused (it throws): its events would be written without the seal.
 */
export async function appendAudit(tx: Sql, input: AuditInput, clock: Clock): Promise<void> {
  const row = auditRow(input, clock);
  if (isClient(tx)) return withTx(tx, async (t) => void pendingOf(t).push(row));
  pendingOf(tx).push(row);
}

/** appendAudit written at once, for a caller that answers with the event itself (a helpdesk note and its seq). */
export async function appendAuditNow(tx: Tx, input: AuditInput, clock: Clock): Promise<AuditEvent> {
  pendingOf(tx);
  const head = await lockLane(tx);
  const [row] = chained(head.hash, [auditRow(input, clock)]);
  const event = await tx.auditEvent.create({ data: { ...row, lane: head.lane } });
  await tx.auditHead.update({ where: { id: head.lane }, data: { hash: row.hash, seq: event.seq } });
  return event;
}

function auditRow(input: AuditInput, clock: Clock): AuditRow {
  return {
    actorType: input.actorType,
    actorId: input.actorId ?? null,
    action: input.action,
    targetType: input.targetType,
    targetId: input.targetId ?? null,
    fromState: input.fromState ?? null,
    toState: input.toState ?? null,
    ip: input.ip ?? null,
    userAgent: input.userAgent ?? null,
    data: JSON.parse(JSON.stringify(input.data ?? {})) as Prisma.InputJsonObject,
    createdAt: new Date(Math.floor(clock.now().getTime())),
    prevHash: GENESIS,
  };
}

/**
 * The chain is kept in lanes, one AuditHead row each (16 since prisma/migrations/*_perf3_audit_lanes): every lane is
 * a hash chain of its own, and an appender holds one lane's row lock from sealing to COMMIT, so transactions sealed
 * in different lanes do not wait for each other. Within a lane, seq order is chain order (the next event is inserted
 * only after the lock passes on). The verifier follows every lane, and a checkpoint signs every lane's head.
 */
interface LaneHead {
  lane: number;
  hash: string;
}

/**
 * The lanes this process wrote last, each with the head it committed, by database (on globalThis: the portal loads
 * this module twice, lib/db/lean.ts). A lane is taken out while a transaction of the process tries it, and put back
 * with its new head once that transaction committed; a lane written by anyone else since is simply not at that head.
 */
type LaneCache = Map<number, string>;
const lanesOf = globalThis as unknown as { __certrenewAuditLanes?: WeakMap<object, LaneCache> };

function laneCache(db: Db): LaneCache {
  const byDb = (lanesOf.__certrenewAuditLanes ??= new WeakMap());
  let lanes = byDb.get(db);
  if (!lanes) byDb.set(db, (lanes = new Map()));
  return lanes;
}

/** The lane committed last (a Map keeps insertion order), taken out of the cache while it is tried. */
function takeLane(lanes: LaneCache): LaneHead | undefined {
  let last: LaneHead | undefined;
  for (const [lane, hash] of lanes) last = { lane, hash };
  if (last) lanes.delete(last.lane);
  return last;
}

// the lane a transaction already holds (appendAuditNow, then its pending events), by its transaction client
const held = new WeakMap<Sql, number>();

/**
 * Locks a lane and returns where its chain ends, in one round trip when a lane is free: the lowest-numbered lane no
 * other transaction holds (SKIP LOCKED, so a quiet portal writes lane 1 only); when every lane is held it waits for
 * one in turn. SELECT … FOR UPDATE returns the row's newest committed version once the lock is granted (READ
 * COMMITTED re-reads a row it waited for), i.e. the hash the lane's previous appender wrote.
 */
async function lockLane(tx: Sql): Promise<LaneHead> {
  const mine = held.get(tx);
  const rows =
    mine !== undefined
      ? await sqlRows<LaneHead>(tx, `SELECT "id" AS "lane", "hash" FROM "AuditHead" WHERE "id" = $1 FOR UPDATE`, [mine])
      : await sqlRows<LaneHead>(tx, LOCK_FREE_LANE, []);
  const head = rows[0] ?? (await waitForLane(tx));
  held.set(tx, head.lane);
  return head;
}

const LOCK_FREE_LANE = `SELECT "id" AS "lane", "hash" FROM "AuditHead" ORDER BY "id" LIMIT 1 FOR UPDATE SKIP LOCKED`;

let turn = 0;

async function waitForLane(tx: Sql): Promise<LaneHead> {
  const rows = await sqlRows<LaneHead>(
    tx,
    `SELECT "id" AS "lane", "hash" FROM "AuditHead"
     WHERE "id" = (SELECT "id" FROM "AuditHead" ORDER BY "id" OFFSET $1::int % (SELECT count(*) FROM "AuditHead") LIMIT 1)
     FOR UPDATE`,
    [turn++ % 64],
  );
  if (!rows.length) throw new Error("the audit chain's head rows are missing (apply the migrations)");
  return rows[0];
}

/**
 * Writes `rows` linked to a lane's head, under that lane's lock (held until COMMIT, so no lane ever forks), and returns
 * the lane's new head. The events and the head go in one statement. When the process remembers a lane (LaneCache),
 * that statement also takes the lane's lock, only if nobody holds it and its head is still the one remembered: one
 * round trip. Otherwise a free lane is locked and read first (lockLane), and the events written after.
 */
async function writeChained(tx: Sql, rows: AuditRow[], lanes: LaneCache): Promise<LaneHead> {
  const remembered = held.has(tx) ? undefined : takeLane(lanes);
  if (remembered) {
    const linked = linkedRows(remembered.hash, rows);
    const hash = linked[linked.length - 1].hash;
    const wrote = await sqlRows(tx, WRITE_CHAINED_IF_HEAD, [
      remembered.lane,
      JSON.stringify(linked),
      hash,
      remembered.hash,
    ]);
    if (wrote.length) return { lane: remembered.lane, hash };
  }
  const head = await lockLane(tx);
  const linked = linkedRows(head.hash, rows);
  const hash = linked[linked.length - 1].hash;
  await sqlRows(tx, WRITE_CHAINED, [head.lane, JSON.stringify(linked), hash]);
  return { lane: head.lane, hash };
}

function linkedRows(prevHash: string, rows: AuditRow[]) {
  return chained(prevHash, rows).map((r, i) => ({ ...r, i, createdAt: r.createdAt.toISOString() }));
}

const INSERT_EVENTS = `
      INSERT INTO "AuditEvent" ("actorType", "actorId", "action", "targetType", "targetId", "fromState", "toState",
        "ip", "userAgent", "data", "createdAt", "prevHash", "hash", "alg", "keyId", "lane")
      SELECT "actorType", "actorId", "action", "targetType", "targetId", "fromState", "toState", "ip", "userAgent",
        "data", "createdAt", "prevHash", "hash", "alg", "keyId", $1::int
      FROM jsonb_to_recordset($2::jsonb) AS e("i" int, "actorType" text, "actorId" text,
        "action" text, "targetType" text, "targetId" text, "fromState" text, "toState" text, "ip" text,
        "userAgent" text, "data" jsonb, "createdAt" timestamp(3), "prevHash" text, "hash" text, "alg" text,
        "keyId" text)`;

const WRITE_CHAINED = `
    WITH "written" AS (${INSERT_EVENTS}
      ORDER BY "i"
      RETURNING "seq"
    )
    UPDATE "AuditHead" SET "hash" = $3, "seq" = (SELECT max("seq") FROM "written")
    WHERE "id" = $1`;

// The lane's lock is taken by "head" before the first event is inserted, and only when the lane is free and its
// committed head is $4 (FOR UPDATE re-checks the condition on the row it locks); otherwise nothing is written and no
// row is returned (the EXISTS conditions are evaluated once, before their scans).
const WRITE_CHAINED_IF_HEAD = `
    WITH "head" AS (
      SELECT "id" FROM "AuditHead" WHERE "id" = $1 AND "hash" = $4 FOR UPDATE SKIP LOCKED
    ), "written" AS (${INSERT_EVENTS}
      WHERE EXISTS (SELECT 1 FROM "head")
      ORDER BY "i"
      RETURNING "seq"
    )
    UPDATE "AuditHead" SET "hash" = $3, "seq" = (SELECT max("seq") FROM "written")
    WHERE "id" = $1 AND EXISTS (SELECT 1 FROM "written")
    RETURNING "id"`;

/** `rows` linked after `prevHash`, each with its hash: call it holding the chain's lock. */
function chained(prevHash: string, rows: AuditRow[]) {
  const keys = currentChainKeys();
  const kid = keys.kid ?? keyId(keys.master);
  return rows.map((r) => {
    const row = { ...r, prevHash };
    prevHash = eventHash(row, keys.alg, keys);
    return { ...row, alg: keys.alg, keyId: kid, hash: prevHash };
  });
}

export function actorFields(actor: Actor): Pick<AuditInput, "actorType" | "actorId" | "ip" | "userAgent"> {
  return { actorType: actor.type, actorId: actor.id ?? null, ip: actor.ip ?? null, userAgent: actor.userAgent ?? null };
}

export { currentChainKeys } from "./keys";
export { verifyAuditChain, writeAuditCheckpoint } from "./verify";
