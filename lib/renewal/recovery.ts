import type { Db } from "../db";
import { MINUTE, type Clock } from "../clock";
import type { RenewalOrder } from "../generated/prisma/client";
import { isDomainError } from "../errors";
import { appendAudit, withTx } from "../audit";
import { log } from "../log";
import type { Job } from "../jobs/scheduler";
import { DEFAULT_STUCK_MINUTES, numberSetting } from "../settings";
import { resumeIssuance } from "./issue-order";
import type { Ca } from "../pki/ca";
import { retryUpstreamIssuance, type UpstreamDeps } from "./upstream-issue";

const BATCH = 200;

export type FlagReason = "paid_not_issued" | "issuing_stalled" | "issuance_failed";

export interface RecoveryOptions {
  stuckMinutes?: number;
  /** finishes an `issuing` order from its stored CSR (resumeIssuance with the process CA; tests inject failures) */
  resume: (db: Db, orderId: string, clock: Clock) => Promise<unknown>;
}

/**
 * A paid order always ends in a certificate or a refund. Orders sitting in `paid` or `issuing` longer than
 * Setting `orders.stuckMinutes` (default 30) are recovered: an `issuing` order whose CSR was stored is issued
 * (idempotent); everything else is flagged for the helpdesk, once, with an audit event, because issuing needs
 * the holder's key on the token: a person has to call the holder (or start a refund).
 */
export async function recoverStuckOrders(
  db: Db,
  clock: Clock,
  opts: RecoveryOptions,
): Promise<{ resumed: number; flagged: number }> {
  const { resume } = opts;
  const minutes = opts.stuckMinutes ?? (await numberSetting(db, ["orders.stuckMinutes"], DEFAULT_STUCK_MINUTES));
  const before = new Date(clock.now().getTime() - minutes * MINUTE);
  const stuck = await db.renewalOrder.findMany({
    where: { state: { in: ["paid", "issuing"] }, flagged: false, updatedAt: { lt: before } },
    orderBy: { updatedAt: "asc" },
    take: BATCH,
  });
  let flagged = 0;
  let resumed = 0;
  for (const order of stuck) {
    let reason: FlagReason = order.state === "paid" ? "paid_not_issued" : "issuing_stalled";
    let error: string | undefined;
    if (order.state === "issuing" && order.csrDer) {
      try {
        await resume(db, order.id, clock);
        resumed++;
        continue;
      } catch (err) {
        reason = "issuance_failed";
        error = isDomainError(err) ? err.code : "INTERNAL";
        log.error({ err, orderId: order.id }, "resuming issuance failed");
      }
    }
    if (await flagOrder(db, order, reason, clock, error)) flagged++;
  }
  if (flagged || resumed) log.warn({ flagged, resumed }, "stuck orders recovered or flagged for the helpdesk");
  return { resumed, flagged };
}

/** Flags one order unless it moved or was flagged meanwhile; returns whether it did. */
async function flagOrder(
  db: Db,
  order: RenewalOrder,
  reason: FlagReason,
  clock: Clock,
  error?: string,
): Promise<boolean> {
  return withTx(db, async (tx) => {
    const written = await tx.renewalOrder.updateMany({
      where: { id: order.id, version: order.version, flagged: false },
      data: { flagged: true, flagReason: reason, updatedAt: clock.now() },
    });
    if (written.count !== 1) return false;
    await appendAudit(
      tx,
      {
        actorType: "system",
        actorId: "orders.recovery",
        action: "order.flagged",
        targetType: "order",
        targetId: order.id,
        fromState: order.state,
        toState: order.state,
        data: { orderNo: order.orderNo, reason, ...(error ? { error } : {}) },
      },
      clock,
    );
    return true;
  });
}

/**
 * The recovery as a background job; `ca` loads the CA that signs resumed issuances, or in RA mode `upstream` is
 * the operator's CA the resumed issuances go to.
 */
export const orderRecoveryJob = (ca: () => Promise<Ca>, upstream?: UpstreamDeps | null): Job => ({
  name: "orders.recovery",
  everyMs: 5 * MINUTE,
  run: (db, clock) =>
    recoverStuckOrders(db, clock, {
      resume: async (d, orderId, c) => resumeIssuance(d, orderId, c, upstream ? { upstream } : await ca()),
    }),
});

/** RA mode: retries upstream issuance every minute (back-off per order), so a 稍后重试 completes by itself. */
export const upstreamIssuanceJob = (deps: UpstreamDeps): Job => ({
  name: "orders.upstream",
  everyMs: MINUTE,
  leaseMs: 5 * MINUTE,
  run: (db, clock) => retryUpstreamIssuance(db, deps, clock),
});
