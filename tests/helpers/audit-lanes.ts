import type { Db } from "@/lib/db";
import type { Clock } from "@/lib/clock";
import { appendAuditNow, withTx, type AuditInput } from "@/lib/audit";

/**
 * A transaction that has sealed `input` (so it holds an audit lane, lib/audit) and waits for `release()` before it
 * commits: what another appender meets while a transaction is between sealing and COMMIT (PostgreSQL only).
 */
export async function sealedAndWaiting(db: Db, input: AuditInput, clock: Clock) {
  let release!: () => void;
  const gate = new Promise<void>((r) => (release = r));
  let sealed!: (seq: number) => void;
  const seq = new Promise<number>((r) => (sealed = r));
  const done = withTx(db, async (tx) => {
    sealed((await appendAuditNow(tx, input, clock)).seq);
    await gate;
  });
  return { seq: await seq, release, done };
}
