import { z } from "zod";
import type { Tx } from "../db";
import { DAY } from "../clock";
import type { Prisma } from "../generated/prisma/client";
import { ORDER_STATES } from "../orders/machine";

/**
 * Helpdesk order search. Every filter is an exact or prefix match on an indexed column of RenewalOrder
 * (orderNo, certSerial, holderName, handlerMobileLast4, handlerIdLast4, createdAt, state+createdAt, updatedAt), so a
 * search stays a short index scan at a million orders. Pages are fetched one row long to know whether another
 * page follows; no total count, which would scan every match.
 */

const blankToUndefined = (v: unknown) => (typeof v === "string" && v.trim() === "" ? undefined : v);
const opt = <T extends z.ZodType>(schema: T) => z.preprocess(blankToUndefined, schema.optional());
/** A day in the staff member's calendar (Asia/Shanghai) → its first instant in UTC. */
const ShanghaiDay = z
  .string()
  .regex(/^\d{4}-\d{2}-\d{2}$/)
  .transform((d) => new Date(`${d}T00:00:00+08:00`));

export const SORTS = ["created_desc", "created_asc", "updated_desc"] as const;
const PAGE_SIZE = 50;
const MAX_PAGE = 200;

export const OrderSearch = z.object({
  orderNo: opt(z.string().trim().max(40)),
  serial: opt(
    z
      .string()
      .trim()
      .toLowerCase()
      .regex(/^[0-9a-f:]{1,80}$/, "serial")
      .transform((s) => s.replace(/:/g, "")),
  ),
  holderName: opt(z.string().trim().min(1).max(100)),
  phoneLast4: opt(z.string().regex(/^\d{4}$/, "last4")),
  idLast4: opt(
    z
      .string()
      .trim()
      .toUpperCase()
      .regex(/^[0-9X]{4}$/, "last4"),
  ),
  from: opt(ShanghaiDay),
  to: opt(ShanghaiDay),
  state: opt(z.enum(ORDER_STATES as [string, ...string[]])),
  flagged: opt(z.enum(["1"])),
  sort: z.preprocess(blankToUndefined, z.enum(SORTS).default("created_desc")),
  page: z.preprocess(blankToUndefined, z.coerce.number().int().min(1).max(MAX_PAGE).default(1)),
});
export type OrderSearch = z.infer<typeof OrderSearch>;

function searchWhere(s: OrderSearch): Prisma.RenewalOrderWhereInput {
  const where: Prisma.RenewalOrderWhereInput = {};
  if (s.orderNo) where.orderNo = s.orderNo;
  if (s.serial) where.certSerial = s.serial;
  // a prefix as a range on the plain index (LIKE 'x%' cannot use it unless the collation is exactly "C"); the
  // range is the prefix set in code-point order (C / C.UTF-8 databases), and startsWith keeps it exact elsewhere
  if (s.holderName) where.holderName = { gte: s.holderName, lt: `${s.holderName}\u{10FFFF}`, startsWith: s.holderName };
  if (s.phoneLast4) where.handlerMobileLast4 = s.phoneLast4;
  if (s.idLast4) where.handlerIdLast4 = s.idLast4;
  if (s.from || s.to)
    where.createdAt = { ...(s.from ? { gte: s.from } : {}), ...(s.to ? { lt: new Date(s.to.getTime() + DAY) } : {}) };
  if (s.state) where.state = s.state as Prisma.EnumOrderStateFilter["equals"];
  if (s.flagged) where.flagged = true;
  return where;
}

const ORDER_BY: Record<OrderSearch["sort"], Prisma.RenewalOrderOrderByWithRelationInput[]> = {
  created_desc: [{ createdAt: "desc" }, { id: "desc" }],
  created_asc: [{ createdAt: "asc" }, { id: "asc" }],
  updated_desc: [{ updatedAt: "desc" }, { id: "desc" }],
};

const RESULT_COLUMNS = {
  id: true,
  orderNo: true,
  state: true,
  certSerial: true,
  holderName: true,
  certType: true,
  payerClass: true,
  priceFen: true,
  handlerName: true,
  handlerMobileLast4: true,
  flagged: true,
  createdAt: true,
  updatedAt: true,
  // 大客户专区 (bigclient): the organisation that pays for the holder, shown beside the name
  certificate: { select: { organisation: { select: { name: true } } } },
} as const satisfies Prisma.RenewalOrderSelect;

type OrderRow = Prisma.RenewalOrderGetPayload<{ select: typeof RESULT_COLUMNS }>;

export interface SearchResult {
  rows: OrderRow[];
  page: number;
  hasNext: boolean;
}

export async function searchOrders(db: Tx, s: OrderSearch): Promise<SearchResult> {
  const rows = await db.renewalOrder.findMany({
    where: searchWhere(s),
    orderBy: ORDER_BY[s.sort],
    skip: (s.page - 1) * PAGE_SIZE,
    take: PAGE_SIZE + 1,
    select: RESULT_COLUMNS,
  });
  return { rows: rows.slice(0, PAGE_SIZE), page: s.page, hasNext: rows.length > PAGE_SIZE };
}
