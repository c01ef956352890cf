import type { Db, Tx } from "../db";
import { sqlRows } from "../db/lean";
import type { Clock } from "../clock";
import { MINUTE, HOUR } from "../clock";
import { DomainError } from "../errors";
import { log } from "../log";
import { INSTANCE_ID } from "../jobs/lease";
import type { Job } from "../jobs/scheduler";
import { parseLocale } from "../messages";
import { renderMail } from "./templates";
import { isMailTemplate } from "../outbox/mail-data";
import { isPermanentSmtpError, senderDomain, type MailTransport } from "./transport";

export const MAX_ATTEMPTS = 8;
const BACKOFF_BASE_MS = MINUTE;
const BACKOFF_CAP_MS = 6 * HOUR;

/** Wait before attempt n+1 after n failed attempts: 1, 2, 4, 8 … minutes, at most 6 hours. */
export function backoffMs(attempts: number): number {
  return Math.min(BACKOFF_BASE_MS * 2 ** Math.max(0, attempts - 1), BACKOFF_CAP_MS);
}

export interface DeliverOptions {
  clock: Clock;
  transport: MailTransport;
  batch?: number;
  /** who holds the lease; distinct per worker */
  owner?: string;
  /** how long claimed rows stay reserved; must outlast sending the batch (rows not sent in time are handed back) */
  leaseMs?: number;
  maxAttempts?: number;
  /** the portal's public origin, for the links in the mails */
  origin: string;
}

export interface DeliverResult {
  claimed: number;
  sent: number;
  retried: number;
  failed: number;
}

interface ClaimedRow {
  id: string;
  to: string;
  template: string;
  locale: string;
  data: unknown;
  attempts: number;
}

// every mail runs these two (lib/db/lean.ts)
const CLAIM = `UPDATE "MailOutbox" SET "leaseUntil" = $1, "leaseOwner" = $2, "attempts" = "attempts" + 1
  WHERE "id" IN (
    SELECT "id" FROM "MailOutbox"
    WHERE "state" = 'pending' AND "nextAttemptAt" <= $3 AND ("leaseUntil" IS NULL OR "leaseUntil" < $3)
    ORDER BY "nextAttemptAt"
    LIMIT $4
    FOR UPDATE SKIP LOCKED)
  RETURNING "id", "to", "template", "locale", "data", "attempts"`;
const SENT = `UPDATE "MailOutbox" SET "state" = 'sent', "sentAt" = $3, "messageId" = $4, "leaseUntil" = NULL, "lastError" = NULL
  WHERE "id" = $1 AND "leaseOwner" = $2 AND "state" = 'pending'`;

/**
 * Claims due rows with a lease in one statement (FOR UPDATE SKIP LOCKED: concurrent workers never claim the same
 * row), sends them, and marks each sent or schedules a retry. A row is only ever sent by the lease holder, and the
 * attempt is counted when claimed, so a worker dying mid-send cannot retry a mail forever.
 */
export async function deliverDue(db: Db, opts: DeliverOptions): Promise<DeliverResult> {
  const { clock, transport } = opts;
  const owner = opts.owner ?? INSTANCE_ID;
  const leaseMs = opts.leaseMs ?? 5 * MINUTE;
  const maxAttempts = opts.maxAttempts ?? MAX_ATTEMPTS;
  const claimedAt = clock.now();
  const rows = await sqlRows<ClaimedRow>(db, CLAIM, [
    new Date(claimedAt.getTime() + leaseMs),
    owner,
    claimedAt,
    opts.batch ?? 20,
  ]);

  const result: DeliverResult = { claimed: rows.length, sent: 0, retried: 0, failed: 0 };
  const domain = senderDomain(transport.from);
  for (const [i, row] of rows.entries()) {
    // half the lease gone: hand the rest back untouched rather than risk sending after the lease ran out
    if (clock.now().getTime() - claimedAt.getTime() > leaseMs / 2) {
      await db.mailOutbox.updateMany({
        where: { id: { in: rows.slice(i).map((r) => r.id) }, leaseOwner: owner, state: "pending" },
        data: { leaseUntil: null, attempts: { decrement: 1 } },
      });
      break;
    }
    const outcome = await deliverOne(db, row, { transport, owner, clock, maxAttempts, domain, origin: opts.origin });
    result[outcome]++;
  }
  return result;
}

async function deliverOne(
  db: Db,
  row: ClaimedRow,
  o: { transport: MailTransport; owner: string; clock: Clock; maxAttempts: number; domain: string; origin: string },
): Promise<"sent" | "retried" | "failed"> {
  const mine = { id: row.id, leaseOwner: o.owner, state: "pending" as const };
  let rendered;
  try {
    if (!isMailTemplate(row.template)) throw new Error(`unknown mail template ${row.template}`);
    rendered = renderMail(row.template, parseLocale(row.locale), row.data, o.origin);
  } catch (err) {
    await db.mailOutbox.updateMany({
      where: mine,
      data: { state: "failed", leaseUntil: null, lastError: `render: ${errorText(err)}` },
    });
    log.error({ mailId: row.id, template: row.template, err: errorText(err) }, "mail cannot be rendered");
    return "failed";
  }
  try {
    const info = await o.transport.send({ messageId: `<${row.id}@${o.domain}>`, to: row.to, ...rendered });
    await sqlRows(db, SENT, [row.id, o.owner, o.clock.now(), info.messageId]);
    return "sent";
  } catch (err) {
    const final = isPermanentSmtpError(err) || row.attempts >= o.maxAttempts;
    await db.mailOutbox.updateMany({
      where: mine,
      data: final
        ? { state: "failed", leaseUntil: null, lastError: errorText(err) }
        : {
            leaseUntil: null,
            lastError: errorText(err),
            nextAttemptAt: new Date(o.clock.now().getTime() + backoffMs(row.attempts)),
          },
    });
    log.warn(
      { mailId: row.id, template: row.template, attempts: row.attempts, final, err: errorText(err) },
      "mail delivery failed",
    );
    return final ? "failed" : "retried";
  }
}

function errorText(err: unknown): string {
  return (err instanceof Error ? err.message : String(err)).slice(0, 500);
}

/** Mails that gave up, newest first, for the helpdesk console. */
export function listFailedMails(db: Db, take = 100) {
  return db.mailOutbox.findMany({
    where: { state: "failed" },
    orderBy: { createdAt: "desc" },
    take,
    select: {
      id: true,
      to: true,
      template: true,
      attempts: true,
      lastError: true,
      orderId: true,
      certificateId: true,
      createdAt: true,
    },
  });
}

/** Staff "retry": a failed mail gets a fresh set of attempts (MAIL_NOT_FAILED for any other mail). */
export async function retryFailedMail(db: Tx, id: string, clock: Clock): Promise<void> {
  const { count } = await db.mailOutbox.updateMany({
    where: { id, state: "failed" },
    data: { state: "pending", attempts: 0, nextAttemptAt: clock.now(), lastError: null },
  });
  if (count !== 1) throw new DomainError("MAIL_NOT_FAILED");
}

/**
 * Delivers due mails every 15 s until the queue is drained (bounded per run), through the transport `connect`
 * makes on the first run (the composition point chooses SMTP or the demo sink); links in mails point at `origin`.
 */
export function deliveryJob(connect: (db: Db) => MailTransport, origin: string): Job {
  let transport: MailTransport | undefined;
  return {
    name: "mail.deliver",
    everyMs: 15_000,
    leaseMs: 10 * MINUTE,
    async run(db, clock) {
      transport ??= connect(db);
      const total: DeliverResult = { claimed: 0, sent: 0, retried: 0, failed: 0 };
      for (let round = 0; round < 50; round++) {
        const r = await deliverDue(db, { clock, transport, origin });
        for (const k of Object.keys(total) as (keyof DeliverResult)[]) total[k] += r[k];
        if (r.claimed === 0 || r.retried + r.failed === r.claimed) break;
      }
      return total;
    },
  };
}
