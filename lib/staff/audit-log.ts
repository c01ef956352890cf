import { z } from "zod";
import type { Tx } from "../db";
import { DAY } from "../clock";
import type { AuditEvent, Prisma } from "../generated/prisma/client";

/**
 * The audit log viewer: filters on the indexed columns (actorId, action, target, createdAt), newest first with
 * keyset paging on seq, CSV export in pages, and the chain check (the first row that does not verify).
 */

const blank = (v: unknown) => (typeof v === "string" && v.trim() === "" ? undefined : v);
const day = z
  .string()
  .regex(/^\d{4}-\d{2}-\d{2}$/)
  .transform((d) => new Date(`${d}T00:00:00+08:00`));

export const AuditFilter = z.object({
  /** a staff username or any actor id (certificate id, "seed", …) */
  actor: z.preprocess(blank, z.string().trim().max(100).optional()),
  action: z.preprocess(blank, z.string().trim().max(100).optional()),
  targetType: z.preprocess(blank, z.string().trim().max(40).optional()),
  targetId: z.preprocess(blank, z.string().trim().max(100).optional()),
  from: z.preprocess(blank, day.optional()),
  to: z.preprocess(blank, day.optional()),
  /** keyset paging: rows with seq below this */
  before: z.preprocess(blank, z.coerce.number().int().positive().optional()),
});
export type AuditFilter = z.infer<typeof AuditFilter>;

async function auditWhere(db: Tx, f: AuditFilter): Promise<Prisma.AuditEventWhereInput> {
  const where: Prisma.AuditEventWhereInput = {};
  if (f.actor) {
    const staff = await db.staffUser.findUnique({ where: { username: f.actor.toLowerCase() }, select: { id: true } });
    where.actorId = staff?.id ?? f.actor;
  }
  // an action ending in "." is a prefix: "order." finds every order event
  if (f.action) where.action = f.action.endsWith(".") ? { startsWith: f.action } : f.action;
  if (f.targetType) where.targetType = f.targetType;
  if (f.targetId) where.targetId = f.targetId;
  if (f.from || f.to)
    where.createdAt = { ...(f.from ? { gte: f.from } : {}), ...(f.to ? { lt: new Date(f.to.getTime() + DAY) } : {}) };
  return where;
}

const AUDIT_PAGE = 100;

export async function listAuditEvents(
  db: Tx,
  f: AuditFilter,
): Promise<{ rows: AuditEvent[]; nextBefore: number | null }> {
  const where = await auditWhere(db, f);
  if (f.before) where.seq = { lt: f.before };
  const rows = await db.auditEvent.findMany({ where, orderBy: { seq: "desc" }, take: AUDIT_PAGE + 1 });
  const page = rows.slice(0, AUDIT_PAGE);
  return { rows: page, nextBefore: rows.length > AUDIT_PAGE ? page[page.length - 1].seq : null };
}

/** Staff usernames by id, to show who acted. */
export async function staffNames(db: Tx): Promise<Record<string, string>> {
  const users = await db.staffUser.findMany({ select: { id: true, username: true } });
  return Object.fromEntries(users.map((u) => [u.id, u.username]));
}

const CSV_COLUMNS = [
  "seq",
  "createdAt",
  "actorType",
  "actorId",
  "action",
  "targetType",
  "targetId",
  "fromState",
  "toState",
  "ip",
  "userAgent",
  "data",
  "hash",
] as const;

/** One CSV cell; a leading = + - @ is neutralised so a spreadsheet never runs a cell as a formula. */
export function csvCell(v: unknown): string {
  let s =
    v === null || v === undefined
      ? ""
      : v instanceof Date
        ? v.toISOString()
        : typeof v === "object"
          ? JSON.stringify(v)
          : String(v);
  if (/^[=+\-@\t\r]/.test(s)) s = `'${s}`;
  return /[",\r\n]/.test(s) ? `"${s.replace(/"/g, '""')}"` : s;
}

/** The filtered log as CSV, oldest first, produced in pages so a large export never sits in memory at once. */
export async function* auditCsv(db: Tx, f: AuditFilter, pageSize = 2000): AsyncGenerator<string> {
  const where = await auditWhere(db, { ...f, before: undefined });
  yield `${CSV_COLUMNS.join(",")}\r\n`;
  let after = 0;
  for (;;) {
    const rows = await db.auditEvent.findMany({
      where: { AND: [where, { seq: { gt: after } }] },
      orderBy: { seq: "asc" },
      take: pageSize,
    });
    if (rows.length === 0) return;
    yield rows.map((r) => `${CSV_COLUMNS.map((c) => csvCell(r[c])).join(",")}\r\n`).join("");
    after = rows[rows.length - 1].seq;
  }
}
