import type { Db, Tx } from "../db";
import { eventHash, GENESIS, keyring, type Hashable } from "./chain";
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

// The events each open withTx transaction has appended so far, by its transaction client (Prisma makes one per
// transaction; a property set on it would land on the shared client underneath). Module state is enough: the code
// that appends to a transaction is always bundled with the withTx that opened it.
const pending = new WeakMap<Tx, AuditRow[]>();

/**
 * Runs `fn` in an interactive transaction and seals the audit events it appended just before COMMIT: they are
 * chained and written in one go under the chain's lock (lockHead), so the lock is held only for that write and the COMMIT,
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
  const [row] = chained(await lockHead(tx), [auditRow(input, clock)]);
  const event = await tx.auditEvent.create({ data: row });
  await tx.auditHead.update({ where: { id: HEAD }, data: { hash: row.hash } });
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

// the one AuditHead row (prisma/migrations/*_perf2_audit_head)
const HEAD = 1;

/**
 * Takes the chain's lock and returns where the chain ends, in one round trip: the head row is locked until COMMIT,
 * and SELECT … FOR UPDATE returns its newest committed version once the lock is granted (READ COMMITTED re-reads a
 * row it waited for), i.e. the hash the previous appender wrote.
 */
async function lockHead(tx: Tx): Promise<string> {
  const rows = await tx.$queryRaw<{ hash: string }[]>`SELECT "hash" FROM "AuditHead" WHERE "id" = ${HEAD} FOR UPDATE`;
  if (!rows.length) throw new Error("the audit chain's head row is missing (apply the migrations)");
  return rows[0].hash;
}

/**
 * Writes `rows` linked to the chain's head, under the head's lock (held until COMMIT, so the chain never forks): the
 * events and the new head go in one statement, so the lock is held for two round trips and the COMMIT.
 */
async function writeChained(tx: Tx, rows: AuditRow[]): Promise<void> {
  const linked = chained(await lockHead(tx), rows).map((r, i) => ({ ...r, i, createdAt: r.createdAt.toISOString() }));
  await tx.$executeRaw`
    WITH "written" AS (
      INSERT INTO "AuditEvent" ("actorType", "actorId", "action", "targetType", "targetId", "fromState", "toState",
        "ip", "userAgent", "data", "createdAt", "prevHash", "hash", "alg", "keyId")
      SELECT "actorType", "actorId", "action", "targetType", "targetId", "fromState", "toState", "ip", "userAgent",
        "data", "createdAt", "prevHash", "hash", "alg", "keyId"
      FROM jsonb_to_recordset(${JSON.stringify(linked)}::jsonb) AS e("i" int, "actorType" text, "actorId" text,
        "action" text, "targetType" text, "targetId" text, "fromState" text, "toState" text, "ip" text,
        "userAgent" text, "data" jsonb, "createdAt" timestamp(3), "prevHash" text, "hash" text, "alg" text,
        "keyId" text)
      ORDER BY "i"
      RETURNING 1
    )
    UPDATE "AuditHead" SET "hash" = ${linked[linked.length - 1].hash} WHERE "id" = ${HEAD}`;
}

/** `rows` linked after `prevHash`, each with its hash: call it holding the chain's lock. */
function chained(prevHash: string, rows: AuditRow[]) {
  const keys = currentChainKeys();
  const keyId = keyring(keys)[0].kid;
  return rows.map((r) => {
    const row = { ...r, prevHash };
    prevHash = eventHash(row, keys.alg, keys);
    return { ...row, alg: keys.alg, keyId, hash: prevHash };
  });
}

export function actorFields(actor: Actor): Pick<AuditInput, "actorType" | "actorId" | "ip" | "userAgent"> {
  return { actorType: actor.type, actorId: actor.id ?? null, ip: actor.ip ?? null, userAgent: actor.userAgent ?? null };
}

export { currentChainKeys } from "./keys";
export { verifyAuditChain, writeAuditCheckpoint } from "./verify";
