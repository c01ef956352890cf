import { randomUUID } from "node:crypto";
import type { RenewalOrder } from "../../generated/prisma/client";
import { insertRow, type RowData, type Sql } from "../../db/lean";
import type { Clock } from "../../clock";
import { appendAudit } from "../../audit";

export interface PaymentEventInput {
  order: Pick<RenewalOrder, "id" | "state"> | null;
  kind: "precreate" | "notify" | "query" | "close" | "refund";
  outTradeNo: string;
  tradeStatus?: string | null;
  tradeNo?: string | null;
  amountFen?: number | null;
  verified: boolean;
  outcome: string;
  raw: Record<string, unknown>;
  /** false when the order transition of the same change already wrote the audit event */
  audit?: boolean;
}

/** Stores what Alipay said (raw) and what we made of it; on a known order it is also an audit event. */
export async function recordPaymentEvent(tx: Sql, e: PaymentEventInput, clock: Clock): Promise<void> {
  await insertRow(tx, "PaymentEvent", {
    id: randomUUID(),
    orderId: e.order?.id ?? null,
    outTradeNo: e.outTradeNo.slice(0, 64),
    kind: e.kind,
    tradeStatus: e.tradeStatus ?? null,
    tradeNo: e.tradeNo ?? null,
    amountFen: e.amountFen ?? null,
    verified: e.verified,
    outcome: e.outcome,
    raw: e.raw as RowData<"PaymentEvent">["raw"],
    createdAt: clock.now(),
  });
  if (e.order && e.audit !== false) {
    await appendAudit(
      tx,
      {
        actorType: e.kind === "notify" ? "alipay" : "system",
        actorId: e.tradeNo ?? null,
        action: `payment.${e.kind}`,
        targetType: "order",
        targetId: e.order.id,
        fromState: e.order.state,
        toState: e.order.state,
        data: {
          outcome: e.outcome,
          tradeStatus: e.tradeStatus ?? null,
          tradeNo: e.tradeNo ?? null,
          amountFen: e.amountFen ?? null,
        },
      },
      clock,
    );
  }
}
