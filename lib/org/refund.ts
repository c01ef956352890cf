import type { Db } from "../db";
import type { Clock } from "../clock";
import type { OrgBatchItem } from "../generated/prisma/client";
import { appendAudit, actorFields, type Actor, withTx } from "../audit";
import { DomainError } from "../errors";
import { lockPayerOf } from "../fees/coverage";
import type { PaymentDeps } from "../payments/alipay/client";
import { refundTrade } from "./settle";

/**
 * The rule for money an organisation paid and did not use (documented in README, 大客户专区): a place is unused
 * while no renewal order is using it (none, or only a cancelled/expired one). The helpdesk refunds an unused place
 * per holder — or every unused place of a batch, the whole batch when none was used — back to the batch's Alipay
 * trade. A contract place is released instead (no money moved). A used place is never refunded: the holder renewed
 * with it. The item is released in the database first (no renewal can claim it meanwhile), then Alipay is asked;
 * a failed call leaves it marked for a retry with the same out_request_no.
 */
export async function refundBatchItem(
  db: Db,
  pay: PaymentDeps,
  input: { itemId: string; actor: Actor; clock: Clock },
): Promise<OrgBatchItem> {
  const { clock } = input;
  const claimed = await withTx(db, async (tx) => {
    const item = await tx.orgBatchItem.findUnique({ where: { id: input.itemId }, include: { batch: true } });
    if (!item) throw new DomainError("NOT_FOUND");
    // a refund whose Alipay call failed earlier: try again with the same request number
    if (item.state === "refunded" && item.refundNo && !item.refundedAt) return { item, retry: true };
    if (item.state !== "covered") throw new DomainError("ORG_ITEM_NOT_REFUNDABLE");
    await lockPayerOf(tx, item.certificateId);
    if (item.orderId) {
      const order = await tx.renewalOrder.findUnique({ where: { id: item.orderId }, select: { state: true } });
      if (order && order.state !== "cancelled" && order.state !== "expired")
        throw new DomainError("ORG_ITEM_NOT_REFUNDABLE");
    }
    const money = item.batch.kind === "alipay" && item.priceFen > 0;
    const index = await tx.orgBatchItem.count({ where: { batchId: item.batchId, refundNo: { not: null } } });
    const updated = await tx.orgBatchItem.update({
      where: { id: item.id },
      data: {
        state: money ? "refunded" : "void",
        activeCertificateId: null,
        refundNo: money ? `${item.batch.batchNo}-R${index + 1}` : null,
        refundedBy: `${input.actor.type}:${input.actor.id ?? ""}`,
        refundedAt: money ? null : clock.now(),
      },
      include: { batch: true },
    });
    await appendAudit(
      tx,
      {
        ...actorFields(input.actor),
        action: money ? "org.item.refund_requested" : "org.item.released",
        targetType: "org_batch",
        targetId: item.batchId,
        fromState: item.state,
        toState: updated.state,
        data: { batchNo: item.batch.batchNo, serial: item.certSerial, amountFen: money ? item.priceFen : 0 },
      },
      clock,
    );
    return { item: updated, retry: money };
  });
  if (!claimed.retry) return claimed.item;
  const { item } = claimed;
  await refundTrade(db, pay, {
    batchNo: item.batch.batchNo,
    outRequestNo: item.refundNo!,
    amountFen: item.priceFen,
    clock,
  });
  return withTx(db, async (tx) => {
    const done = await tx.orgBatchItem.update({ where: { id: item.id }, data: { refundedAt: clock.now() } });
    await appendAudit(
      tx,
      {
        ...actorFields(input.actor),
        action: "org.item.refunded",
        targetType: "org_batch",
        targetId: item.batchId,
        data: {
          batchNo: item.batch.batchNo,
          serial: item.certSerial,
          amountFen: item.priceFen,
          refundNo: item.refundNo,
        },
      },
      clock,
    );
    return done;
  });
}
