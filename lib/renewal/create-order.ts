import type { Db, Tx } from "../db";
import { MINUTE, type Clock } from "../clock";
import type { Certificate, OrderState, RenewalOrder } from "../generated/prisma/client";
import { appendAudit, actorFields, type Actor, withSqlTx, withTx } from "../audit";
import { DomainError, type Locale } from "../errors";
import { decryptField, encryptField, type FieldKeys } from "../crypto/field";
import { HandlerInfo } from "./handler";
import { checkEligibility, renewalPreview } from "./eligibility";
import { DEFAULT_PAYMENT_WINDOW_MINUTES, numberSettings, windowDaysKeys } from "../settings";
import { claimCoverage, holderPrice, lockPayerOf } from "../fees/coverage";
import { closeTradeBeforeCancel } from "../payments/alipay/close";
import type { PaymentDeps } from "../payments/alipay/client";

/** What cancelling needs from the edge (lib/payments/alipay/client.ts), for callers that do not import payments. */
export type { PaymentDeps };
import { newOrderNo } from "../orders/number";
import { transitionOrder } from "../orders/machine";
import type { ConsentRecord } from "../consent";
import { insertRow, isUniqueViolation, uniqueRow, updateById, updateRows, type Sql } from "../db/lean";
import { randomUUID } from "node:crypto";

/** Re-validates on the server whatever the route already parsed: the domain never trusts its caller's input. */
function parseHandler(input: HandlerInfo): HandlerInfo {
  const r = HandlerInfo.safeParse(input);
  if (r.success) return r.data;
  const fields: Record<string, string> = {};
  for (const issue of r.error.issues) fields[issue.path.join(".") || "_"] ??= issue.message;
  throw new DomainError("HANDLER_INVALID", { fields });
}

function handlerColumns(keys: FieldKeys, h: HandlerInfo) {
  return {
    handlerName: h.name,
    handlerIdType: h.idType,
    handlerIdEnc: encryptField(keys, h.idNumber),
    handlerIdLast4: h.idNumber.slice(-4),
    handlerMobileEnc: encryptField(keys, h.mobile),
    handlerMobileLast4: h.mobile.slice(-4),
    handlerEmail: h.email,
    notifySms: h.notifySms ?? false,
  };
}

/**
 * The order, or ORDER_NOT_FOUND, also when it belongs to another certificate than the caller's session. `open`: the
 * order must be the open order of `certificateId` (the holder's steps before payment), else RENEWAL_NO_ORDER.
 */
async function loadOrder(db: Sql, orderId: string, certificateId?: string, open = false): Promise<RenewalOrder> {
  const order = await uniqueRow(db, "RenewalOrder", "id", orderId);
  if (open && (!order || certificateId === undefined || order.openCertificateId !== certificateId))
    throw new DomainError("RENEWAL_NO_ORDER");
  if (!order || (certificateId !== undefined && order.certificateId !== certificateId))
    throw new DomainError("ORDER_NOT_FOUND");
  return order;
}

export interface CreateDraftArgs {
  certificate: Certificate;
  handler: HandlerInfo;
  actor: Actor;
  clock: Clock;
  locale: Locale;
  /** FIELD_ENCRYPTION_KEY, for the handler's ID and mobile numbers */
  keys: FieldKeys;
}

/**
 * Starts the renewal of `certificate` as a draft order, priced by the system at this moment (a snapshot of the
 * tier). When the certificate already has an open order, that order is returned unchanged (edit it with
 * updateDraftHandler): the unique openCertificateId makes a second open order impossible even under races.
 */
export async function createDraftOrder(db: Db, args: CreateDraftArgs): Promise<RenewalOrder> {
  const handler = parseHandler(args.handler);
  const certificateId = args.certificate.id;
  for (let attempt = 0; attempt < 3; attempt++) {
    try {
      return await withSqlTx(db, async (tx) => {
        const certificate = await uniqueRow(tx, "Certificate", "id", certificateId);
        const eligible = await checkEligibility(tx, certificate, args.clock);
        if (eligible.openOrder) return eligible.openOrder;
        const cert = certificate!;
        const now = args.clock.now();
        await lockPayerOf(tx, cert.id);
        const { price, coveredBy } = await holderPrice(tx, cert, now);
        const preview = renewalPreview(cert, price, args.clock);
        const order = await insertRow(tx, "RenewalOrder", {
          id: randomUUID(),
          orderNo: newOrderNo(args.clock),
          certificateId: cert.id,
          openCertificateId: cert.id,
          state: "draft",
          certSerial: cert.serial,
          holderName: cert.holderName,
          certType: cert.certType,
          payerClass: cert.payerClass,
          feeTierId: price.tier.id,
          fenPerYear: price.fenPerYear,
          years: price.years,
          priceFen: price.priceFen,
          newNotAfter: preview.newNotAfter,
          ...handlerColumns(args.keys, handler),
          locale: args.locale,
          createdAt: now,
          updatedAt: now,
        });
        await appendAudit(
          tx,
          {
            ...actorFields(args.actor),
            action: "order.created",
            targetType: "order",
            targetId: order.id,
            toState: "draft",
            data: {
              orderNo: order.orderNo,
              certSerial: cert.serial,
              feeTierId: price.tier.id,
              priceFen: price.priceFen,
              newNotAfter: preview.newNotAfter.toISOString(),
              ...(coveredBy ? { coveredByBatchItem: coveredBy.id } : {}),
            },
          },
          args.clock,
        );
        if (coveredBy) await claimCoverage(tx, order);
        return order;
      });
    } catch (e) {
      if (!isUniqueViolation(e)) throw e;
      // another request opened the certificate's order first: resume that one
      const open = await uniqueRow(db, "RenewalOrder", "openCertificateId", certificateId);
      if (open) return open;
    }
  }
  throw new DomainError("CONFLICT");
}

/** 返回修改: changes the handler of a draft order. */
export async function updateDraftHandler(
  db: Db,
  args: { orderId: string; handler: HandlerInfo; actor: Actor; clock: Clock; keys: FieldKeys; certificateId?: string },
): Promise<RenewalOrder> {
  const handler = parseHandler(args.handler);
  return withSqlTx(db, async (tx) => {
    const order = await loadOrder(tx, args.orderId, args.certificateId);
    if (order.state !== "draft") throw new DomainError("ORDER_NOT_EDITABLE", { state: order.state });
    const before: Record<string, string> = {
      name: order.handlerName,
      idType: order.handlerIdType,
      idNumber: decryptField(args.keys, order.handlerIdEnc),
      mobile: decryptField(args.keys, order.handlerMobileEnc),
      email: order.handlerEmail,
    };
    const changed = Object.keys(before).filter((k) => before[k] !== handler[k as keyof HandlerInfo]);
    const [updated] = await updateRows(
      tx,
      "RenewalOrder",
      { ...handlerColumns(args.keys, handler), updatedAt: args.clock.now() },
      {
        sql: `WHERE "id" = $1 AND "version" = $2 AND "state" = 'draft'`,
        values: [order.id, order.version],
        also: `"version" = "version" + 1`,
      },
    );
    if (!updated) throw new DomainError("CONFLICT");
    await appendAudit(
      tx,
      {
        ...actorFields(args.actor),
        action: "order.handler_updated",
        targetType: "order",
        targetId: order.id,
        fromState: "draft",
        toState: "draft",
        data: { orderNo: order.orderNo, changed },
      },
      args.clock,
    );
    return updated;
  });
}

/**
 * 确认提交. Self-paying orders go draft → submitted → awaiting_payment with a payment deadline (Setting
 * `payment.windowMinutes`, default 30); unified-payment orders stay in `submitted`, ready for issuance.
 * The certificate is checked again: it may have expired or been revoked since the draft was made.
 * Submitting an order that is already submitted returns it unchanged (a double click is not an error).
 */
export async function submitOrder(
  db: Db,
  args: {
    orderId: string;
    actor: Actor;
    clock: Clock;
    paymentWindowMinutes?: number;
    certificateId?: string;
    /** the holder's 确认提交: the order must be the open order of `certificateId` (else RENEWAL_NO_ORDER) */
    open?: boolean;
    /** stored with the order and in the audit event of 确认提交 (the holder's path always gives it) */
    consent?: ConsentRecord;
  },
): Promise<RenewalOrder> {
  return withSqlTx(db, async (tx) => {
    const order = await loadOrder(tx, args.orderId, args.certificateId, args.open);
    if (order.state === "submitted" || order.state === "awaiting_payment") return order;
    if (order.state !== "draft")
      throw new DomainError("ORDER_ILLEGAL_TRANSITION", { from: order.state, to: "submitted" });
    const certificate = await uniqueRow(tx, "Certificate", "id", order.certificateId);
    if (!certificate) throw new DomainError("CERT_UNKNOWN");
    // the renewal window and the payment window in one statement
    const [windowDays, paymentWindow] = await numberSettings(tx, [
      windowDaysKeys(certificate.certType),
      { keys: ["payment.windowMinutes"], fallback: DEFAULT_PAYMENT_WINDOW_MINUTES },
    ]);
    // a draft is its certificate's open order (RenewalOrder.openCertificateId)
    await checkEligibility(tx, certificate, args.clock, { windowDays, openOrder: order });
    await lockPayerOf(tx, order.certificateId);
    // an organisation paid for (or covers) this renewal since the draft was priced: the holder pays nothing
    const coverage = order.priceFen > 0 ? await claimCoverage(tx, order) : null;
    if (coverage) {
      await updateById(tx, "RenewalOrder", order.id, { priceFen: 0 });
      await appendAudit(
        tx,
        {
          ...actorFields(args.actor),
          action: "order.covered_by_organisation",
          targetType: "order",
          targetId: order.id,
          fromState: "draft",
          toState: "draft",
          data: { orderNo: order.orderNo, batchItemId: coverage.id, priceFenBefore: order.priceFen },
        },
        args.clock,
      );
    }
    const consent = args.consent
      ? {
          set: { ...args.consent },
          data: {
            consent: {
              agreement: args.consent.agreementVersion,
              privacy: args.consent.privacyVersion,
              at: args.consent.consentAt.toISOString(),
            },
          },
        }
      : { set: {}, data: {} };
    if (order.priceFen === 0 || coverage) {
      return transitionOrder(tx, {
        orderId: order.id,
        to: "submitted",
        actor: args.actor,
        clock: args.clock,
        expectVersion: order.version,
        set: consent.set,
        data: consent.data,
      });
    }
    const minutes = args.paymentWindowMinutes ?? paymentWindow!;
    const paymentDeadline = new Date(args.clock.now().getTime() + minutes * MINUTE);
    const submitted = await transitionOrder(tx, {
      orderId: order.id,
      to: "submitted",
      actor: args.actor,
      clock: args.clock,
      current: order,
      set: { paymentDeadline, ...consent.set },
      data: consent.data,
    });
    return transitionOrder(tx, {
      orderId: order.id,
      to: "awaiting_payment",
      current: submitted,
      actor: args.actor,
      clock: args.clock,
      data: { paymentDeadline: paymentDeadline.toISOString() },
    });
  });
}

const CANCELLABLE: ReadonlySet<OrderState> = new Set(["draft", "submitted", "awaiting_payment"]);
const PAST_PAYMENT: ReadonlySet<OrderState> = new Set([
  "paid",
  "issuing",
  "issued",
  "installed",
  "refund_pending",
  "refunded",
]);
const moneyTaken = (o: RenewalOrder) => o.priceFen > 0 && PAST_PAYMENT.has(o.state);

/**
 * 取消申请. An order awaiting payment first has its Alipay trade closed, so no payment can arrive after the
 * cancellation; if the trade turns out to be paid the cancellation is refused (ORDER_ALREADY_PAID).
 */
export async function cancelOrder(
  db: Db,
  args: {
    orderId: string;
    actor: Actor;
    clock: Clock;
    reason: string;
    /** the Alipay client (the trade of an order awaiting payment is closed first) and the invoice link secret */
    pay: PaymentDeps;
    certificateId?: string;
    /** more to write in the cancellation's own transaction (staff: the "handled in person" event) */
    alsoInTx?: (tx: Tx, cancelled: RenewalOrder) => Promise<unknown>;
  },
): Promise<RenewalOrder> {
  const order = await loadOrder(db, args.orderId, args.certificateId);
  if (moneyTaken(order)) throw new DomainError("ORDER_ALREADY_PAID");
  if (!CANCELLABLE.has(order.state))
    throw new DomainError("ORDER_ILLEGAL_TRANSITION", { from: order.state, to: "cancelled" });
  if (
    order.state === "awaiting_payment" &&
    (await closeTradeBeforeCancel(db, args.pay, order, args.clock)) === "paid"
  ) {
    throw new DomainError("ORDER_ALREADY_PAID");
  }
  return withTx(db, async (tx) => {
    const current = await loadOrder(tx, order.id);
    if (moneyTaken(current)) throw new DomainError("ORDER_ALREADY_PAID");
    // the trade was closed for the state we read; anything else happened meanwhile and needs a fresh look
    if (current.state !== order.state) throw new DomainError("CONFLICT");
    const cancelled = await transitionOrder(tx, {
      orderId: order.id,
      to: "cancelled",
      actor: args.actor,
      clock: args.clock,
      data: { reason: args.reason.slice(0, 200) },
    });
    await args.alsoInTx?.(tx, cancelled);
    return cancelled;
  });
}
