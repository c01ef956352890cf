import type { Db, Tx } from "../db";
import { MINUTE, type Clock } from "../clock";
import type { Organisation, OrgBatch } from "../generated/prisma/client";
import { appendAudit, actorFields, type Actor, withTx } from "../audit";
import { DomainError } from "../errors";
import { activeCoverage, lockPayerOf } from "../fees/coverage";
import { priceFor } from "../fees/price";
import { newOrderNo } from "../orders/number";
import { DEFAULT_PAYMENT_WINDOW_MINUTES, numberSetting } from "../settings";
import { checkEligibility } from "../renewal/eligibility";
import type { PaymentDeps } from "../payments/alipay/client";
import { openTrade, precreateTrade } from "../payments/alipay/precreate";
import type { InvoiceDetails } from "../payments/invoice-details";

/**
 * Batches of 大客户专区: one Alipay trade (out_trade_no `P…`) paying for several holders' renewals, or one contract
 * coverage. Each holder is an item whose `activeCertificateId` is unique while it is pending or covered, so no
 * certificate is ever paid for twice (lib/fees/coverage.ts gives a covered holder's order the price 0).
 */

const MAX_BATCH = 200;
/** holders a holder's own open order in these states is paying (or has paid) for: the organisation cannot pay too */
const HOLDER_PAYING = new Set(["submitted", "awaiting_payment", "paid", "issuing", "issued", "refund_pending"]);

export function isBatchNo(outTradeNo: string): boolean {
  return /^P\d{8}[0-9A-Z]{10}$/.test(outTradeNo);
}

async function memberCertificate(tx: Tx, organisationId: string, serial: string) {
  const cert = await tx.certificate.findUnique({ where: { serial: serial.trim().toLowerCase().replace(/:/g, "") } });
  if (!cert || cert.organisationId !== organisationId) throw new DomainError("ORG_HOLDER_NOT_MEMBER", { serial });
  return cert;
}

/** A holder may be put in a batch: a member, renewable now or later, not covered already, not paying themselves. */
async function checkSelectable(tx: Tx, organisationId: string, serial: string, clock: Clock) {
  const cert = await memberCertificate(tx, organisationId, serial);
  await lockPayerOf(tx, cert.id);
  const who = { holderName: cert.holderName };
  if (await activeCoverage(tx, cert.id)) throw new DomainError("ORG_HOLDER_ALREADY_COVERED", who);
  try {
    const eligible = await checkEligibility(tx, cert, clock);
    if (eligible.openOrder && HOLDER_PAYING.has(eligible.openOrder.state) && eligible.openOrder.priceFen > 0)
      throw new DomainError("ORG_HOLDER_PAYING", who);
  } catch (e) {
    // paying ahead for a holder whose window opens later is what an organisation does for next month's expiries
    if (!(e instanceof DomainError) || e.code !== "RENEWAL_TOO_EARLY") {
      if (e instanceof DomainError && e.code.startsWith("ORG_")) throw e;
      throw new DomainError("ORG_HOLDER_NOT_RENEWABLE", who);
    }
  }
  return cert;
}

function contractInForce(org: Organisation, clock: Clock): boolean {
  return Boolean(org.contractNo && org.contractUntil && org.contractUntil > clock.now());
}

export interface CreateBatchInput {
  organisation: Organisation;
  serials: string[];
  kind: "alipay" | "contract";
  actor: Actor;
  /** who, for the record: "org:<certificate serial>" */
  createdBy: string;
  clock: Clock;
}

/**
 * 统一支付所选 (kind alipay: items pending until the trade is paid, payment window as the holder's) or 标记为合同覆盖
 * (kind contract, only while the organisation's contract is in force: items covered at once). One transaction,
 * audited; a holder that cannot be selected refuses the whole batch with the reason.
 */
export async function createBatch(db: Db, input: CreateBatchInput): Promise<OrgBatch> {
  const { organisation: org, clock } = input;
  const serials = [...new Set(input.serials)];
  if (serials.length === 0) throw new DomainError("ORG_BATCH_EMPTY");
  if (serials.length > MAX_BATCH) throw new DomainError("ORG_BATCH_TOO_LARGE", { max: MAX_BATCH });
  if (input.kind === "contract" && !contractInForce(org, clock)) throw new DomainError("ORG_CONTRACT_INACTIVE");
  const now = clock.now();
  const windowMinutes = await numberSetting(db, ["payment.windowMinutes"], DEFAULT_PAYMENT_WINDOW_MINUTES);
  return withTx(db, async (tx) => {
    const lines = [];
    for (const serial of serials) {
      const cert = await checkSelectable(tx, org.id, serial, clock);
      const price = await priceFor(tx, cert, now);
      if (input.kind === "alipay" && price.priceFen === 0)
        throw new DomainError("ORG_HOLDER_NO_FEE", { holderName: cert.holderName });
      lines.push({ cert, price });
    }
    const totalFen = input.kind === "alipay" ? lines.reduce((s, l) => s + l.price.priceFen, 0) : 0;
    const itemState = input.kind === "alipay" ? "pending" : "covered";
    const batch = await tx.orgBatch.create({
      data: {
        batchNo: newOrderNo(clock, "P"),
        organisationId: org.id,
        kind: input.kind,
        state: input.kind === "alipay" ? "awaiting_payment" : "covered",
        totalFen,
        paymentDeadline: input.kind === "alipay" ? new Date(now.getTime() + windowMinutes * MINUTE) : null,
        createdBy: input.createdBy,
        createdAt: now,
        updatedAt: now,
        items: {
          create: lines.map(({ cert, price }) => ({
            certificateId: cert.id,
            activeCertificateId: cert.id,
            certSerial: cert.serial,
            holderName: cert.holderName,
            priceFen: input.kind === "alipay" ? price.priceFen : 0,
            feeTierId: price.tier.id,
            state: itemState,
            createdAt: now,
          })),
        },
      },
    });
    await appendAudit(
      tx,
      {
        ...actorFields(input.actor),
        action: input.kind === "alipay" ? "org.batch.created" : "org.batch.contract_covered",
        targetType: "org_batch",
        targetId: batch.id,
        toState: batch.state,
        data: {
          batchNo: batch.batchNo,
          organisationId: org.id,
          totalFen,
          serials: lines.map((l) => l.cert.serial),
          ...(input.kind === "contract" ? { contractNo: org.contractNo, by: input.createdBy } : {}),
        },
      },
      clock,
    );
    return batch;
  });
}

export async function loadBatch(db: Tx, organisationId: string, batchNo: string) {
  const batch = await db.orgBatch.findUnique({ where: { batchNo }, include: { items: true } });
  if (!batch || batch.organisationId !== organisationId) throw new DomainError("ORG_BATCH_NOT_FOUND");
  return batch;
}

export interface BatchPaymentStart {
  qrCode: string;
  amountFen: number;
  batchNo: string;
  deadline: Date;
}

/** The batch's Alipay QR trade (alipay.trade.precreate, as the holder's 支付), made once and shown again after. */
export async function startBatchPayment(
  db: Db,
  pay: PaymentDeps,
  input: { organisationId: string; batchNo: string; clock: Clock },
): Promise<BatchPaymentStart> {
  const { clock } = input;
  const batch = await loadBatch(db, input.organisationId, input.batchNo);
  if (batch.state !== "awaiting_payment" || batch.kind !== "alipay") throw new DomainError("ORG_BATCH_NOT_PAYABLE");
  const deadline = batch.paymentDeadline!;
  if (deadline <= clock.now()) throw new DomainError("PAYMENT_EXPIRED");
  let qrCode = await openTrade(db, { outTradeNo: batch.batchNo });
  if (!qrCode) {
    const made = await precreateTrade(
      db,
      pay,
      {
        order: null,
        outTradeNo: batch.batchNo,
        amountFen: batch.totalFen,
        subject: `数字证书更新延期（单位统一支付 ${batch.items.length} 人）`,
        body: `批次 ${batch.batchNo}`,
        deadline,
      },
      clock,
    );
    if (!made.ok) throw new DomainError("ALIPAY_REJECTED", { subCode: String(made.r.sub_code ?? made.r.code) });
    qrCode = made.qrCode;
  }
  return { qrCode, amountFen: batch.totalFen, batchNo: batch.batchNo, deadline };
}

/** 开票信息 for the whole batch (one invoice), once it is paid; audited. */
export async function saveBatchInvoice(
  db: Db,
  input: { organisationId: string; batchNo: string; details: InvoiceDetails; actor: Actor; clock: Clock },
): Promise<OrgBatch> {
  return withTx(db, async (tx) => {
    const batch = await loadBatch(tx, input.organisationId, input.batchNo);
    if (batch.state !== "paid") throw new DomainError("ORG_INVOICE_NOT_ALLOWED");
    const d = input.details;
    const saved = await tx.orgBatch.update({
      where: { id: batch.id },
      data: {
        invoiceType: d.type,
        invoiceTitle: d.title,
        invoiceTaxpayer: d.taxpayerId ?? null,
        invoiceEmail: d.email,
        invoiceAt: input.clock.now(),
      },
    });
    await appendAudit(
      tx,
      {
        ...actorFields(input.actor),
        action: "org.batch.invoice_details",
        targetType: "org_batch",
        targetId: batch.id,
        data: { batchNo: batch.batchNo, type: d.type, title: d.title },
      },
      input.clock,
    );
    return saved;
  });
}
