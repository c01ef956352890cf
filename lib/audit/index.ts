import type { Db, Tx } from "../db";
import { eventHash, GENESIS, type Hashable } from "./chain";
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

// any fixed 64-bit key: serialises appenders so the chain never forks
const CHAIN_LOCK = 4_242_001;

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

// The events each open withTx transaction has appended so far, by its transaction client (Prisma makes one per
// transaction; a property set on it would land on the shared client underneath). Module state is enough: the code
// that appends to a transaction is always bundled with the withTx that opened it.
const pending = new WeakMap<Tx, AuditRow[]>();

/**
 * Runs `fn` in an interactive transaction and seals the audit events it appended just before COMMIT: they are
 * chained and written in one go under the chain's lock, so the lock is held only for that write and the COMMIT,
 * and transactions that append audit events overlap for all their other statements. Every transaction that
 * appends audit events is opened here; appendAudit refuses any other.
 */
export function withTx<T>(db: Db, fn: (tx: Tx) => Promise<T>, options?: TxOptions): Promise<T> {
  return db.$transaction(async (tx) => {
    const queue: AuditRow[] = [];
    pending.set(tx, queue);
    const result = await fn(tx);
    pending.delete(tx);
    if (queue.length) await writeChained(tx, queue);
    return result;
  }, options);
}

/** The client itself, not a transaction client (Prisma leaves `$connect` off those). */
const isClient = (db: Tx): db is Db => typeof (db as Partial<Db>).$connect === "function";

function pendingOf(tx: Tx): AuditRow[] {
  const queue = pending.get(tx);
  if (!queue) throw new Error("audit events are written in a transaction opened by withTx (lib/audit)");
  return queue;
}

/**
 * Appends one event to the hash chain. Call it inside the withTx transaction of the change it records: the event is
 * written when the transaction's work is done. On the client itself (no transaction) it opens one of its own.
 * Any other transaction is refused (it throws): its events would be written without the seal.
 */
export async function appendAudit(tx: Tx, input: AuditInput, clock: Clock): Promise<void> {
  const row = auditRow(input, clock);
  if (isClient(tx)) return withTx(tx, async (t) => void pendingOf(t).push(row));
  pendingOf(tx).push(row);
}

/** appendAudit written at once, for a caller that answers with the event itself (a helpdesk note and its seq). */
export async function appendAuditNow(tx: Tx, input: AuditInput, clock: Clock): Promise<AuditEvent> {
  pendingOf(tx);
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

/** Writes `rows` linked to the newest event, under the chain's lock (held until COMMIT, so the chain never forks). */
async function writeChained(tx: Tx, rows: AuditRow[]): Promise<void> {
  await lockChain(tx);
  await tx.auditEvent.createMany({ data: await chained(tx, rows) });
}

const lockChain = (tx: Tx) => tx.$executeRaw`SELECT pg_advisory_xact_lock(${CHAIN_LOCK})`;

/** `rows` linked after the newest event, each with its hash: call it holding the chain's lock. */
async function chained(tx: Tx, rows: AuditRow[]) {
  const last = await tx.auditEvent.findFirst({ orderBy: { seq: "desc" }, select: { hash: true } });
  const keys = currentChainKeys();
  let prevHash = last?.hash ?? GENESIS;
  return rows.map((r) => {
    const row = { ...r, prevHash };
    prevHash = eventHash(row, keys.alg, keys);
    return { ...row, alg: keys.alg, hash: prevHash };
  });
}

export function actorFields(actor: Actor): Pick<AuditInput, "actorType" | "actorId" | "ip" | "userAgent"> {
  return { actorType: actor.type, actorId: actor.id ?? null, ip: actor.ip ?? null, userAgent: actor.userAgent ?? null };
}

export { currentChainKeys } from "./keys";
export { verifyAuditChain, writeAuditCheckpoint } from "./verify";
