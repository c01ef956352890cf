import { createHash } from "node:crypto";
import type { Db, Tx } from "../db";
import type { Clock } from "../clock";
import type { AuditEvent, Prisma } from "../generated/prisma/client";

export type ActorType = "holder" | "staff" | "system" | "alipay";

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

export const GENESIS = "0".repeat(64);
// any fixed 64-bit key: serialises appenders so the chain never forks
const CHAIN_LOCK = 4_242_001;

interface Hashable {
  seq?: number;
  actorType: string;
  actorId: string | null;
  action: string;
  targetType: string;
  targetId: string | null;
  fromState: string | null;
  toState: string | null;
  ip: string | null;
  userAgent: string | null;
  data: unknown;
  createdAt: Date;
  prevHash: string;
}

function canonical(v: unknown): string {
  if (v === null || typeof v !== "object") return JSON.stringify(v ?? null);
  if (Array.isArray(v)) return `[${v.map(canonical).join(",")}]`;
  const o = v as Record<string, unknown>;
  return `{${Object.keys(o)
    .filter((k) => o[k] !== undefined)
    .sort()
    .map((k) => `${JSON.stringify(k)}:${canonical(o[k])}`)
    .join(",")}}`;
}

export function auditHash(e: Hashable): string {
  const body = canonical({
    actorType: e.actorType,
    actorId: e.actorId,
    action: e.action,
    targetType: e.targetType,
    targetId: e.targetId,
    fromState: e.fromState,
    toState: e.toState,
    ip: e.ip,
    userAgent: e.userAgent,
    data: e.data,
    createdAt: e.createdAt.toISOString(),
  });
  return createHash("sha256").update(e.prevHash).update("\n").update(body).digest("hex");
}

type AuditRow = Omit<Hashable, "seq"> & { data: Prisma.InputJsonObject };

// Events appended inside a transaction opened by lib/db's $transaction wait here until its callback has finished;
// then they are chained and written in one go, just before COMMIT (see sealAudit). Kept on globalThis: a bundler
// may load this module more than once in one process (Next's route and instrumentation bundles), and every copy
// must see the same transactions.
interface Registry {
  deferred: WeakMap<object, AuditRow[]>;
  roots: WeakSet<object>;
}
const registry: Registry = ((globalThis as { [k: symbol]: Registry })[Symbol.for("certrenew.audit")] ??= {
  deferred: new WeakMap(),
  roots: new WeakSet(),
});
const deferred = registry.deferred;

/** Called by lib/db for each client it opens: appendAudit on the client itself runs in a transaction of its own. */
export function markAuditRoot(db: object): void {
  registry.roots.add(db);
}

/** Called by lib/db for each interactive transaction it opens: appendAudit on `tx` defers to sealAudit. */
export function deferAudit(tx: object): void {
  deferred.set(tx, []);
}

/**
 * Appends one event to the hash chain. Call it inside the transaction of the change it records. In a transaction
 * opened through lib/db the event is written when the transaction's work is done (sealAudit), so the chain's lock
 * is held only for that write and the COMMIT, not for the rest of the transaction; elsewhere it is written at once.
 */
export async function appendAudit(tx: Tx, input: AuditInput, clock: Clock): Promise<void> {
  const row = auditRow(input, clock);
  const queue = deferred.get(tx);
  if (queue) queue.push(row);
  else if (registry.roots.has(tx))
    await (tx as Db).$transaction((t) => writeChained(t, [row])); // not in a transaction: the lock needs one
  else await writeChained(tx, [row]); // a transaction lib/db did not open
}

/** appendAudit written at once, for a caller that answers with the event itself (a helpdesk note and its seq). */
export async function appendAuditNow(tx: Tx, input: AuditInput, clock: Clock): Promise<AuditEvent> {
  await lockChain(tx);
  return tx.auditEvent.create({ data: await chained(tx, [auditRow(input, clock)]).then((rows) => rows[0]) });
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
 * Writes the events deferred on `tx`, linked to the newest event, under the chain's lock (held until COMMIT, so
 * the chain never forks). lib/db calls it as the last step of every interactive transaction.
 */
export async function sealAudit(tx: Tx): Promise<void> {
  const queue = deferred.get(tx);
  if (!queue?.length) return;
  deferred.set(tx, []);
  await writeChained(tx, queue);
}

async function writeChained(tx: Tx, rows: AuditRow[]): Promise<void> {
  await lockChain(tx);
  await tx.auditEvent.createMany({ data: await chained(tx, rows) });
}

const lockChain = (tx: Tx) => tx.$executeRaw`SELECT pg_advisory_xact_lock(${CHAIN_LOCK})`;

/** `rows` linked after the newest event, each with its hash: call it holding the chain's lock. */
async function chained(tx: Tx, rows: AuditRow[]) {
  const last = await tx.auditEvent.findFirst({ orderBy: { seq: "desc" }, select: { hash: true } });
  let prevHash = last?.hash ?? GENESIS;
  return rows.map((r) => {
    const row = { ...r, prevHash };
    prevHash = auditHash(row);
    return { ...row, hash: prevHash };
  });
}

export function actorFields(actor: Actor): Pick<AuditInput, "actorType" | "actorId" | "ip" | "userAgent"> {
  return { actorType: actor.type, actorId: actor.id ?? null, ip: actor.ip ?? null, userAgent: actor.userAgent ?? null };
}

export interface ChainCheck {
  ok: boolean;
  checked: number;
  /** seq of the first row whose hash or link does not verify */
  brokenAt?: number;
}

/** Walks the whole chain in order, in pages, and reports the first row that does not verify. */
export async function verifyAuditChain(db: Tx, pageSize = 5000): Promise<ChainCheck> {
  let prev = GENESIS;
  let after = 0;
  let checked = 0;
  for (;;) {
    const rows = await db.auditEvent.findMany({
      where: { seq: { gt: after } },
      orderBy: { seq: "asc" },
      take: pageSize,
    });
    if (rows.length === 0) return { ok: true, checked };
    for (const r of rows) {
      if (r.prevHash !== prev || auditHash(r) !== r.hash) return { ok: false, checked, brokenAt: r.seq };
      prev = r.hash;
      after = r.seq;
      checked++;
    }
  }
}
