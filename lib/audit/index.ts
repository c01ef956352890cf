import { createHash } from "node:crypto";
import type { Tx } from "../db";
import type { Clock } from "../clock";
import type { Prisma } from "../generated/prisma/client";

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

/** Appends one event to the hash chain. Call it inside the transaction of the change it records. */
export async function appendAudit(tx: Tx, input: AuditInput, clock: Clock) {
  await tx.$executeRaw`SELECT pg_advisory_xact_lock(${CHAIN_LOCK})`;
  const last = await tx.auditEvent.findFirst({ orderBy: { seq: "desc" }, select: { hash: true } });
  const row = {
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
    prevHash: last?.hash ?? GENESIS,
  };
  return tx.auditEvent.create({ data: { ...row, hash: auditHash(row) } });
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
    const rows = await db.auditEvent.findMany({ where: { seq: { gt: after } }, orderBy: { seq: "asc" }, take: pageSize });
    if (rows.length === 0) return { ok: true, checked };
    for (const r of rows) {
      if (r.prevHash !== prev || auditHash(r) !== r.hash) return { ok: false, checked, brokenAt: r.seq };
      prev = r.hash;
      after = r.seq;
      checked++;
    }
  }
}
