import "@/tests/helpers/env";
import { mkdtempSync, rmSync, writeFileSync } from "node:fs";
import os from "node:os";
import path from "node:path";
import { afterAll, beforeAll, describe, expect, test } from "vitest";
import { createTestDb } from "@/tests/helpers/db";
import type { Db, OpenDb } from "@/lib/db";
import { DAY } from "@/lib/clock";
import { fixedClock } from "@/lib/dev/testing/clock";
import { appendAudit, currentChainKeys, withTx, writeAuditCheckpoint } from "@/lib/audit";
import { readCheckpoints } from "@/lib/audit/checkpoint";
import { runExclusive } from "@/lib/jobs/lease";
import { renderMail } from "@/lib/mail/templates";
import { auditMailJob } from "@/lib/runtime/audit-mail";

/** #21 item 3: the signed checkpoints also leave the machine in a daily audit mail, queued once by many instances. */

let open: OpenDb;
let db: Db;
const dir = mkdtempSync(path.join(os.tmpdir(), "audit-mail-"));
const file = path.join(dir, "audit-checkpoints.jsonl");
const clock = fixedClock("2026-12-03T02:00:00Z");
const job = auditMailJob({ AUDIT_MAIL_TO: "audit@example.cn", auditCheckpointFile: file });

beforeAll(async () => {
  open = await createTestDb();
  db = open.prisma;
});
afterAll(async () => {
  await open?.close();
  rmSync(dir, { recursive: true, force: true });
});

async function eventsAndCheckpoint(n: number) {
  for (let i = 0; i < n; i++)
    await withTx(db, (tx) => appendAudit(tx, { actorType: "system", action: "test.event", targetType: "test" }, clock));
  return (await writeAuditCheckpoint(db, clock, { file })).written!;
}

/**
 * Several schedulers run the job at the same moment, each under the job lease as startScheduler does (in one process
 * the lease admits its own owner again, so the day's AuditMailReport row is what keeps it to one mail).
 */
const instances = (n: number) =>
  Promise.all(Array.from({ length: n }, () => runExclusive(db, job.name, 60_000, clock, () => job.run(db, clock))));

describe("the daily audit mail", () => {
  test("carries the day's signed checkpoints verbatim, and several instances queue it once a day", async () => {
    const first = await eventsAndCheckpoint(2);
    const second = await eventsAndCheckpoint(3);
    await instances(3);
    await job.run(db, clock);
    const mails = await db.mailOutbox.findMany({ where: { template: "audit_daily" } });
    expect(mails).toHaveLength(1);
    expect(mails[0].to).toBe("audit@example.cn");
    const text = renderMail("audit_daily", "zh-CN", mails[0].data, "https://renew.example.cn").text;
    const lines = text.split("\n").filter((l) => l.startsWith("{"));
    expect(lines.map((l) => (JSON.parse(l) as { seq: number }).seq)).toEqual([first.seq, second.seq]);
    // the mailed lines are the checkpoint file's: saved to a file they verify as signed checkpoints
    const copy = path.join(dir, "from-mail.jsonl");
    writeFileSync(copy, lines.join("\n") + "\n");
    expect(readCheckpoints([copy], currentChainKeys())).toMatchObject({ invalid: [] });
    expect(readCheckpoints([copy], currentChainKeys()).valid).toHaveLength(2);
    expect(await db.auditEvent.count({ where: { action: "audit.mail_queued" } })).toBe(1);
  });

  test("the next day's mail carries only the checkpoints written since", async () => {
    clock.advance(DAY);
    const third = await eventsAndCheckpoint(1);
    await instances(2);
    const mails = await db.mailOutbox.findMany({ where: { template: "audit_daily" }, orderBy: { createdAt: "asc" } });
    expect(mails).toHaveLength(2);
    const data = mails[1].data as { day: string; checkpoints: string[] };
    expect(data.day).toBe("2026-12-04");
    expect(data.checkpoints.map((l) => (JSON.parse(l) as { seq: number }).seq)).toEqual([third.seq]);
  });
});
