import { stuckRevocations } from "../services/revocation-intents";
import type { Db } from "../db";
import { DAY, MINUTE, type Clock } from "../clock";
import { listFailedMails } from "../mail/worker";
import { DEFAULT_STUCK_MINUTES, numberSetting } from "../settings";
import { maskEmail } from "../privacy/mask";

/**
 * Figures for the admin dashboard, grouped by calendar day in Asia/Shanghai (UTC+8, no daylight saving, so a
 * fixed 8-hour shift is exact). Each series has one point per day, zeros included, so charts have no gaps.
 */

export interface DayPoint {
  day: string;
  value: number;
}

const SHANGHAI_MS = 8 * 60 * MINUTE;

function shanghaiDay(d: Date): string {
  return new Date(d.getTime() + SHANGHAI_MS).toISOString().slice(0, 10);
}

function days(fromDay: Date, count: number): string[] {
  return Array.from({ length: count }, (_, i) => shanghaiDay(new Date(fromDay.getTime() + i * DAY)));
}

function fill(keys: string[], rows: { day: string; value: bigint | number | null }[]): DayPoint[] {
  const byDay = new Map(rows.map((r) => [r.day, Number(r.value ?? 0)]));
  return keys.map((day) => ({ day, value: byDay.get(day) ?? 0 }));
}

/** Midnight (Shanghai) at the start of the day `back` days before today, in UTC. */
function startOfShanghaiDay(now: Date, back: number): Date {
  const local = new Date(now.getTime() + SHANGHAI_MS);
  local.setUTCHours(0, 0, 0, 0);
  return new Date(local.getTime() - SHANGHAI_MS - back * DAY);
}

export async function dashboard(db: Db, clock: Clock, periodDays = 30) {
  const now = clock.now();
  const from = startOfShanghaiDay(now, periodDays - 1);
  const past = days(from, periodDays);
  const today = startOfShanghaiDay(now, 0);
  const ahead = days(today, 30);
  const until = new Date(today.getTime() + 30 * DAY);
  const stuckMinutes = await numberSetting(db, ["orders.stuckMinutes"], DEFAULT_STUCK_MINUTES);
  const stuckBefore = new Date(now.getTime() - stuckMinutes * MINUTE);

  const [renewals, revenue, refunds, expiring, stuck, failedMails, byState, revocations] = await Promise.all([
    db.$queryRaw<{ day: string; value: bigint }[]>`
      SELECT to_char("issuedAt" + interval '8 hours', 'YYYY-MM-DD') AS day, count(*) AS value
      FROM "RenewalOrder" WHERE "issuedAt" >= ${from} AND "issuedAt" <= ${now} GROUP BY 1`,
    db.$queryRaw<{ day: string; value: bigint | null }[]>`
      SELECT to_char("paidAt" + interval '8 hours', 'YYYY-MM-DD') AS day, sum("paidFen") AS value
      FROM "RenewalOrder" WHERE "paidAt" >= ${from} AND "paidAt" <= ${now} GROUP BY 1`,
    db.$queryRaw<{ day: string; value: bigint | null }[]>`
      SELECT to_char("completedAt" + interval '8 hours', 'YYYY-MM-DD') AS day, sum("amountFen") AS value
      FROM "Refund" WHERE "state" = 'succeeded' AND "completedAt" >= ${from} AND "completedAt" <= ${now} GROUP BY 1`,
    db.$queryRaw<{ day: string; value: bigint }[]>`
      SELECT to_char("notAfter" + interval '8 hours', 'YYYY-MM-DD') AS day, count(*) AS value
      FROM "Certificate" WHERE "status" = 'active' AND "notAfter" >= ${now} AND "notAfter" < ${until} GROUP BY 1`,
    db.renewalOrder.findMany({
      where: { state: { in: ["paid", "issuing"] }, updatedAt: { lt: stuckBefore } },
      orderBy: { updatedAt: "asc" },
      take: 100,
      select: {
        id: true,
        orderNo: true,
        state: true,
        holderName: true,
        updatedAt: true,
        flagged: true,
        flagReason: true,
      },
    }),
    listFailedMails(db, 50),
    db.renewalOrder.groupBy({ by: ["state"], _count: { _all: true } }),
    stuckRevocations(db, clock),
  ]);

  const revenueByDay = fill(past, revenue);
  const refundsByDay = fill(past, refunds);
  return {
    from,
    renewalsPerDay: fill(past, renewals),
    revenuePerDay: revenueByDay.map((p, i) => ({ day: p.day, revenueFen: p.value, refundsFen: refundsByDay[i].value })),
    expiringPerDay: fill(ahead, expiring),
    expiringTotal: expiring.reduce((n, r) => n + Number(r.value), 0),
    stuck,
    stuckMinutes,
    failedMails: failedMails.map((m) => ({ ...m, to: maskEmail(m.to) })),
    stuckRevocations: revocations,
    byState: Object.fromEntries(byState.map((s) => [s.state, s._count._all])) as Record<string, number>,
  };
}
