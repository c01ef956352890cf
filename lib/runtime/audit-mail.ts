import type { Db } from "../db";
import { HOUR, type Clock } from "../clock";
import type { Config } from "../config";
import { appendAudit, currentChainKeys, withTx } from "../audit";
import { readCheckpoints, type Checkpoint } from "../audit/checkpoint";
import { enqueueMail } from "../outbox";
import type { Job } from "../jobs/scheduler";

/** at most this many checkpoint lines in one mail (a day has 144 at one every 10 minutes) */
export const AUDIT_MAIL_MAX_LINES = 300;

/** The day in Asia/Shanghai (YYYY-MM-DD): one audit mail per such day. */
const shanghaiDay = (d: Date) => new Date(d.getTime() + 8 * HOUR).toISOString().slice(0, 10);

/** A checkpoint as its line in the file (the verifier's `kid` on a v1 line is not part of it). */
const lineOf = (cp: Checkpoint) => JSON.stringify(cp.v === 1 ? { ...cp, kid: undefined } : cp);

/**
 * Queues the day's audit mail to AUDIT_MAIL_TO: the signed checkpoints written since the previous mail (the newest
 * one again when there are none), so a copy of the chain's heads lives outside the machine. The day's
 * AuditMailReport row is written in the same transaction as the mail, so several instances queue it once.
 */
export async function queueAuditMail(
  db: Db,
  clock: Clock,
  opts: { to: string; file: string },
): Promise<{ day: string; queued: boolean; checkpoints?: number }> {
  const day = shanghaiDay(clock.now());
  if (await db.auditMailReport.findUnique({ where: { day } })) return { day, queued: false };
  const previous = await db.auditMailReport.findFirst({ orderBy: { createdAt: "desc" } });
  const { valid, invalid } = readCheckpoints([opts.file], currentChainKeys());
  const fresh = valid.filter((cp) => cp.seq > (previous?.checkpointSeq ?? 0));
  const sent = (fresh.length ? fresh : valid.slice(-1)).slice(-AUDIT_MAIL_MAX_LINES);
  const head = sent.at(-1);
  const queued = await withTx(db, async (tx) => {
    const made = await tx.auditMailReport.createMany({
      data: [{ day, checkpointSeq: head?.seq ?? previous?.checkpointSeq ?? null, checkpoints: sent.length }],
      skipDuplicates: true,
    });
    if (made.count !== 1) return false;
    await enqueueMail(
      tx,
      {
        to: opts.to,
        template: "audit_daily",
        data: { day, count: String(sent.length), checkpoints: sent.map(lineOf) },
      },
      clock,
    );
    await appendAudit(
      tx,
      {
        actorType: "system",
        actorId: "audit.mail",
        action: "audit.mail_queued",
        targetType: "audit",
        targetId: day,
        data: { checkpoints: sent.length, headSeq: head?.seq ?? null, invalidLines: invalid.length },
      },
      clock,
    );
    return true;
  });
  return { day, queued, checkpoints: sent.length };
}

/** Hourly, under the job lease; the first run of each Shanghai day queues that day's audit mail. */
export function auditMailJob(config: Pick<Config, "AUDIT_MAIL_TO" | "auditCheckpointFile">): Job {
  return {
    name: "audit.mail",
    everyMs: HOUR,
    run: (db, clock) => queueAuditMail(db, clock, { to: config.AUDIT_MAIL_TO!, file: config.auditCheckpointFile }),
  };
}
