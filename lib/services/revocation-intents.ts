import type { Db } from "../db";
import { MINUTE, type Clock } from "../clock";
import type { Locale } from "../errors/types";
import type { Job } from "../jobs/scheduler";
import { INSTANCE_ID } from "../jobs/lease";
import { log } from "../log";
import { enqueueMail } from "../outbox";
import { withTx, type Actor } from "../audit";
import { asUpstreamError, type UpstreamIssuer } from "../pki/issuers/types";
import { auditUpstreamExchange, recordUpstreamRevocation } from "../pki/revocation-intents";
import { REVOCATION_REASONS, type RevocationReason } from "../pki/revoke";
import { sha256Hex } from "../pki/x509";
import { services as texts } from "../messages/services";
import type { UpstreamRevocation } from "../generated/prisma/client";

/**
 * RA mode's revocation outbox worker: sends each pending UpstreamRevocation to the upstream CA (lease per row,
 * so two instances never send one at once; back-off 1, 2, 4 … 60 minutes), and on the upstream's confirmation
 * marks the certificate revoked and mails the holder. A final refusal leaves the certificate as it is, the row
 * `refused` with the upstream's words: the helpdesk sees it (staff certificate view) with every pending one
 * older than an hour.
 */

const LEASE_MS = 3 * MINUTE;
const SYSTEM: Actor = { type: "system", id: "revocation.upstream" };

export function revocationRetryDelayMs(attempts: number): number {
  return Math.min(60, 2 ** Math.max(0, attempts - 1)) * MINUTE;
}

async function claim(db: Db, id: string, clock: Clock): Promise<UpstreamRevocation | null> {
  const now = clock.now();
  const { count } = await db.upstreamRevocation.updateMany({
    where: {
      id,
      state: "pending",
      nextAttemptAt: { lte: now },
      OR: [{ leaseUntil: null }, { leaseUntil: { lte: now } }],
    },
    data: { leaseUntil: new Date(now.getTime() + LEASE_MS), leaseOwner: INSTANCE_ID, attempts: { increment: 1 } },
  });
  return count === 1 ? db.upstreamRevocation.findUnique({ where: { id } }) : null;
}

function reasonName(code: number): RevocationReason | undefined {
  return (Object.entries(REVOCATION_REASONS) as [RevocationReason, number][]).find(([, c]) => c === code)?.[0];
}

/** Sends one intent; returns its new state. */
async function sendOne(db: Db, row: UpstreamRevocation, upstream: UpstreamIssuer, clock: Clock) {
  const cert = await db.certificate.findUniqueOrThrow({ where: { id: row.certificateId } });
  const transactionId = Buffer.from(row.transactionId, "hex");
  const started = Date.now();
  const exchange = (status: "confirmed" | "retry" | "refused", detail: Record<string, string | number> = {}) =>
    auditUpstreamExchange(
      db,
      {
        issuer: upstream.kind,
        operation: "revoke",
        targetType: "certificate",
        targetId: cert.id,
        transactionId,
        requestSha256: sha256Hex(Buffer.concat([transactionId, Buffer.from(cert.der), Buffer.from([row.reason])])),
        status,
        ms: Date.now() - started,
        detail,
      },
      clock,
    );
  try {
    await upstream.revoke({ transactionId, certDer: Buffer.from(cert.der), reason: row.reason });
  } catch (err) {
    const e = asUpstreamError(err);
    await exchange(e.retryable ? "retry" : "refused", { message: e.message.slice(0, 200), ...e.detail });
    const now = clock.now();
    await db.upstreamRevocation.updateMany({
      where: { id: row.id, leaseOwner: INSTANCE_ID },
      data: e.retryable
        ? {
            leaseUntil: null,
            leaseOwner: null,
            lastError: e.message.slice(0, 300),
            nextAttemptAt: new Date(now.getTime() + revocationRetryDelayMs(row.attempts)),
          }
        : { leaseUntil: null, leaseOwner: null, lastError: e.message.slice(0, 300), state: "refused" },
    });
    return e.retryable ? "retry" : "refused";
  }
  await exchange("confirmed");
  const at = new Date(Math.floor(clock.now().getTime() / 1000) * 1000);
  await withTx(db, async (tx) => {
    await tx.upstreamRevocation.update({
      where: { id: row.id },
      data: { state: "confirmed", confirmedAt: at, leaseUntil: null, leaseOwner: null, lastError: null },
    });
    const changed = await recordUpstreamRevocation(tx, {
      certificateId: cert.id,
      reason: row.reason,
      revokedAt: at,
      actor: SYSTEM,
      clock,
      source: "upstream confirmation",
    });
    const reason = reasonName(row.reason);
    if (changed && row.mailTo && reason && reason in texts["zh-CN"].revoke.reasons) {
      const locale = (row.locale === "en" ? "en" : "zh-CN") as Locale;
      await enqueueMail(
        tx,
        {
          to: row.mailTo,
          template: "revocation_confirmed",
          locale,
          certificateId: cert.id,
          data: {
            holderName: cert.holderName,
            serial: cert.serial,
            revokedAt: at,
            reason: texts[locale].revoke.reasons[reason as keyof (typeof texts)["zh-CN"]["revoke"]["reasons"]].title,
          },
        },
        clock,
      );
    }
  });
  return "confirmed";
}

/** One pass over the due intents. */
export async function sendUpstreamRevocations(
  db: Db,
  upstream: UpstreamIssuer,
  clock: Clock,
  opts: { batch?: number; certificateId?: string } = {},
): Promise<{ confirmed: number; retry: number; refused: number }> {
  const due = await db.upstreamRevocation.findMany({
    where: {
      state: "pending",
      nextAttemptAt: { lte: clock.now() },
      ...(opts.certificateId ? { certificateId: opts.certificateId } : {}),
    },
    orderBy: { nextAttemptAt: "asc" },
    take: opts.batch ?? 50,
    select: { id: true },
  });
  const tally = { confirmed: 0, retry: 0, refused: 0 };
  for (const { id } of due) {
    const row = await claim(db, id, clock);
    if (!row) continue;
    try {
      tally[await sendOne(db, row, upstream, clock)]++;
    } catch (err) {
      log.error({ err, intentId: id }, "upstream revocation failed");
      tally.retry++;
    }
  }
  return tally;
}

/** Intents the helpdesk should look at: refused, or pending for longer than `olderThanMinutes`. */
export async function stuckRevocations(db: Db, clock: Clock, olderThanMinutes = 60) {
  return db.upstreamRevocation.findMany({
    where: {
      OR: [
        { state: "refused" },
        { state: "pending", createdAt: { lt: new Date(clock.now().getTime() - olderThanMinutes * MINUTE) } },
      ],
    },
    orderBy: { createdAt: "asc" },
    take: 200,
  });
}

export const upstreamRevocationJob = (upstream: UpstreamIssuer): Job => ({
  name: "revocations.upstream",
  everyMs: 30_000,
  leaseMs: 5 * MINUTE,
  run: (db, clock) => sendUpstreamRevocations(db, upstream, clock),
});
