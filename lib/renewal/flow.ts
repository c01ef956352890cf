import type { Ca } from "../pki/ca";
import type { PaymentDeps } from "../payments/alipay/client";
import type { Db } from "../db";
import { rowOrThrow, selectRows, sqlRows, uniqueRow } from "../db/lean";
import { DAY, type Clock } from "../clock";
import type { Certificate, RenewalOrder } from "../generated/prisma/client";
import type { Actor } from "../audit";
import { DomainError, type Locale } from "../errors";
import { decryptField, type FieldKeys } from "../crypto/field";
import { verifyCaptcha, type CaptchaConfig } from "../captcha";
import type { NewSession } from "../session";
import { holderPrice } from "../fees/coverage";
import { cancelOrder, createDraftOrder, submitOrder, updateDraftHandler } from "./create-order";
import { checkEligibility, renewalPreview } from "./eligibility";
import type { HandlerInfo } from "./handler";
import { maskIdNumber, maskMobile } from "../privacy/mask";
import { openProvenSession, verifyLoginProof } from "./pop";
import { saveInvoice } from "../payments/invoice";
import { confirmInstalled, renewalKeyAlgorithm } from "./issue-order";
import { acceptConsent, type ConsentGiven } from "../consent";

/**
 * The holder's wizard, one function per step, thin over orders, fees, payments and pki. Every function takes
 * the session's certificate id: a holder only ever sees and changes the renewal of the certificate they proved.
 */

export type WizardStep = "handler" | "review" | "pay" | "invoice" | "issue" | "done" | "refund";

/** Where the wizard resumes for an order (null: no open order, start with the handler form). */
export function stepFor(
  order: Pick<RenewalOrder, "state" | "priceFen"> | null,
  opts: { invoiceDone?: boolean } = {},
): WizardStep {
  if (!order) return "handler";
  switch (order.state) {
    case "draft":
      return "review";
    case "submitted":
      return order.priceFen === 0 ? "issue" : "pay";
    case "awaiting_payment":
      return "pay";
    case "paid":
      return opts.invoiceDone ? "issue" : "invoice";
    case "issuing":
    case "issued":
      return "issue";
    case "installed":
      return "done";
    case "refund_pending":
    case "refunded":
      return "refund";
    case "cancelled":
    case "expired":
      return "handler";
  }
}

export interface OrderView {
  id: string;
  orderNo: string;
  state: RenewalOrder["state"];
  step: WizardStep;
  priceFen: number;
  years: number;
  newNotAfter: string;
  paymentDeadline: string | null;
  paidAt: string | null;
  handler: { name: string; idType: string; idNumberMasked: string; mobileMasked: string; email: string };
  hasInvoice: boolean;
  /** `encryptionSerial`: dual certificates (SM2), the encryption certificate issued with it */
  issued: { serial: string; notBefore: string; notAfter: string; encryptionSerial?: string } | null;
}

const ORDER_RELATED = `SELECT EXISTS (SELECT 1 FROM "Invoice" i WHERE i."orderId" = o."id") AS "hasInvoice",
    c."serial", c."notBefore", c."notAfter", e."serial" AS "encryptionSerial"
  FROM "RenewalOrder" o
  LEFT JOIN "Certificate" c ON c."id" = o."issuedCertificateId"
  LEFT JOIN "Certificate" e ON e."signingCertificateId" = c."id"
  WHERE o."id" = $1`;

/** Orders that were never paid and issued nothing: no invoice (lib/payments/invoice.ts), no certificate to show. */
const BEFORE_PAYMENT: ReadonlySet<RenewalOrder["state"]> = new Set(["draft", "submitted", "awaiting_payment"]);

export async function orderView(
  db: Db,
  keys: FieldKeys,
  order: RenewalOrder,
  opts: { invoiceSkipped?: boolean } = {},
): Promise<OrderView> {
  // one statement for both (the invoice, and the certificate the order issued); every holder step answers with it
  const [related] =
    BEFORE_PAYMENT.has(order.state) && !order.issuedCertificateId
      ? [undefined]
      : await sqlRows<{
          hasInvoice: boolean;
          serial: string | null;
          notBefore: Date | null;
          notAfter: Date | null;
          encryptionSerial: string | null;
        }>(db, ORDER_RELATED, [order.id]);
  const invoice = related?.hasInvoice;
  const { serial, notBefore, notAfter, encryptionSerial } = related ?? {};
  const issued = order.issuedCertificateId && serial && notBefore && notAfter ? { serial, notBefore, notAfter } : null;
  return {
    id: order.id,
    orderNo: order.orderNo,
    state: order.state,
    step: stepFor(order, { invoiceDone: Boolean(invoice) || opts.invoiceSkipped }),
    priceFen: order.priceFen,
    years: order.years,
    newNotAfter: order.newNotAfter.toISOString(),
    paymentDeadline: order.paymentDeadline?.toISOString() ?? null,
    paidAt: order.paidAt?.toISOString() ?? null,
    handler: {
      name: order.handlerName,
      idType: order.handlerIdType,
      idNumberMasked: maskIdNumber(decryptField(keys, order.handlerIdEnc)),
      mobileMasked: maskMobile(decryptField(keys, order.handlerMobileEnc)),
      email: order.handlerEmail,
    },
    hasInvoice: Boolean(invoice),
    issued: issued
      ? {
          serial: issued.serial,
          notBefore: issued.notBefore.toISOString(),
          notAfter: issued.notAfter.toISOString(),
          ...(encryptionSerial ? { encryptionSerial } : {}),
        }
      : null,
  };
}

export interface HolderLoginInput {
  challengeText: string;
  signatureB64: string;
  origin: string;
  actor: Actor;
  clock: Clock;
  /** passed on to confirmInstalled when the sign-in completes an install (REVOKE_SUPERSEDED_ON_RENEWAL) */
  revokeSupersededWith?: Ca | "upstream";
}

export interface HolderLogin extends NewSession {
  certificateId: string;
  step: WizardStep;
}

/**
 * Step 1 (插入 U-Key, 提交): proof of possession, then eligibility. An ineligible certificate gets its reason
 * (too early with the opening date, expired, revoked, unknown) and no session or order is created.
 * Signing in with the *new* certificate of an order still waiting for its install confirmation completes that
 * order: the key could only sign with it because the certificate is on the token.
 */
export async function holderLogin(db: Db, input: HolderLoginInput): Promise<HolderLogin> {
  const { clock, actor } = input;
  const certificate = await verifyLoginProof(db, input, "login");

  let sessionCertificate: Certificate = certificate;
  let step: WizardStep;
  // the order that issued this certificate (if any) and the certificate's open order, in one statement
  const orders = await selectRows(db, "RenewalOrder", `WHERE "issuedCertificateId" = $1 OR "openCertificateId" = $1`, [
    certificate.id,
  ]);
  const renewedBy = orders.find((o) => o.issuedCertificateId === certificate.id);
  if (renewedBy?.state === "issued") {
    await confirmInstalled(db, {
      orderId: renewedBy.id,
      actor: { ...actor, id: renewedBy.certificateId },
      clock,
      revokeSupersededWith: input.revokeSupersededWith,
    });
    sessionCertificate = await rowOrThrow(uniqueRow(db, "Certificate", "id", renewedBy.certificateId));
    step = "done";
  } else {
    const openOrder = orders.find((o) => o.openCertificateId === certificate.id) ?? null;
    const eligible = await checkEligibility(db, certificate, clock, { openOrder });
    step = stepFor(eligible.openOrder ?? null);
  }

  const session = await openProvenSession(db, {
    kind: "holder",
    certificateId: sessionCertificate.id,
    actor,
    clock,
    audit: {
      action: "holder.login",
      targetType: "certificate",
      targetId: sessionCertificate.id,
      data: { serial: certificate.serial },
    },
  });
  return { ...session, certificateId: sessionCertificate.id, step };
}

async function sessionCertificate(db: Db, certificateId: string): Promise<Certificate> {
  const certificate = await uniqueRow(db, "Certificate", "id", certificateId);
  if (!certificate) throw new DomainError("UNAUTHENTICATED");
  return certificate;
}

/** The certificate's open order, else its last finished one when that was a completed renewal (for 下证成功). */
async function currentOrder(db: Db, certificateId: string): Promise<RenewalOrder | null> {
  const open = await uniqueRow(db, "RenewalOrder", "openCertificateId", certificateId);
  if (open) return open;
  const [installed] = await selectRows(
    db,
    "RenewalOrder",
    `WHERE "certificateId" = $1 AND "state" = 'installed' ORDER BY "updatedAt" DESC LIMIT 1`,
    [certificateId],
  );
  return installed ?? null;
}

export interface RenewalSummary {
  certificate: {
    serial: string;
    subjectDn: string;
    holderName: string;
    holderIdType: string;
    holderIdMasked: string;
    certType: Certificate["certType"];
    payerClass: Certificate["payerClass"];
    keyAlgorithm: string;
    notBefore: string;
    notAfter: string;
  };
  /** 有效期: whole days from now to the new expiry */
  validityDays: number;
  newNotAfter: string;
  priceFen: number;
  order: OrderView | null;
  step: WizardStep;
  /** at the 下证 step: "SM2" when the token must make an SM2 key for an RSA certificate (the admin's migration) */
  newKeyAlgorithm?: "SM2";
}

/** Step 2's header (用户名称, 证件类型, masked 证件号码, 有效期, 价格) and where to resume. */
export async function renewalSummary(
  db: Db,
  args: { certificateId: string; clock: Clock; keys: FieldKeys; invoiceSkipped?: boolean },
): Promise<RenewalSummary> {
  const certificate = await sessionCertificate(db, args.certificateId);
  const order = await currentOrder(db, certificate.id);
  const preview = order
    ? { priceFen: order.priceFen, newNotAfter: order.newNotAfter }
    : renewalPreview(certificate, (await holderPrice(db, certificate, args.clock.now())).price, args.clock);
  const newNotAfter = preview.newNotAfter;
  const view = order ? await orderView(db, args.keys, order, { invoiceSkipped: args.invoiceSkipped }) : null;
  const step = view?.step ?? "handler";
  const newKeyAlgorithm = step === "issue" ? await renewalKeyAlgorithm(db, certificate) : undefined;
  return {
    certificate: {
      serial: certificate.serial,
      subjectDn: certificate.subjectDn,
      holderName: certificate.holderName,
      holderIdType: certificate.holderIdType,
      holderIdMasked: maskIdNumber(decryptField(args.keys, certificate.holderIdEnc)),
      certType: certificate.certType,
      payerClass: certificate.payerClass,
      keyAlgorithm: certificate.keyAlgorithm,
      notBefore: certificate.notBefore.toISOString(),
      notAfter: certificate.notAfter.toISOString(),
    },
    validityDays: Math.ceil((newNotAfter.getTime() - args.clock.now().getTime()) / DAY),
    newNotAfter: newNotAfter.toISOString(),
    priceFen: preview.priceFen,
    order: view,
    step,
    ...(newKeyAlgorithm ? { newKeyAlgorithm } : {}),
  };
}

/** The open order of the session's certificate, or RENEWAL_NO_ORDER. */
async function openOrder(db: Db, certificateId: string, orderId?: string): Promise<RenewalOrder> {
  const order = await uniqueRow(db, "RenewalOrder", "openCertificateId", certificateId);
  if (!order || (orderId !== undefined && order.id !== orderId)) throw new DomainError("RENEWAL_NO_ORDER");
  return order;
}

export interface SaveHandlerInput {
  certificateId: string;
  handler: HandlerInfo;
  captchaId: string;
  captchaAnswer: string;
  actor: Actor;
  clock: Clock;
  locale: Locale;
  config: CaptchaConfig;
  /** FIELD_ENCRYPTION_KEY, for the handler's ID and mobile numbers */
  keys: FieldKeys;
}

/** Step 2 (下一步): captcha, then the draft order is created or its handler changed (返回修改). */
export async function saveHandler(db: Db, input: SaveHandlerInput): Promise<OrderView> {
  await verifyCaptcha(
    db,
    input.captchaId,
    input.captchaAnswer,
    input.clock,
    input.config,
    `${input.actor.ip ?? "unknown"}:${input.certificateId}`,
  );
  const certificate = await sessionCertificate(db, input.certificateId);
  const open = await uniqueRow(db, "RenewalOrder", "openCertificateId", certificate.id);
  let order: RenewalOrder;
  if (open?.state === "draft") {
    order = await updateDraftHandler(db, {
      orderId: open.id,
      handler: input.handler,
      actor: input.actor,
      clock: input.clock,
      keys: input.keys,
      certificateId: certificate.id,
    });
  } else if (open) {
    throw new DomainError("ORDER_NOT_EDITABLE", { state: open.state });
  } else {
    order = await createDraftOrder(db, {
      certificate,
      handler: input.handler,
      actor: input.actor,
      clock: input.clock,
      locale: input.locale,
      keys: input.keys,
    });
  }
  return orderView(db, input.keys, order);
}

/** Step 3 确认提交: self-paying orders now await payment, unified-payment orders are ready for 下证. */
export async function confirmOrder(
  db: Db,
  args: {
    certificateId: string;
    orderId: string;
    /** the agreement and notice versions ticked on the page: refused unless both are the current ones */
    consent: ConsentGiven | undefined;
    actor: Actor;
    clock: Clock;
    keys: FieldKeys;
  },
): Promise<OrderView> {
  const consent = acceptConsent(args.consent, args.clock.now());
  const order = await submitOrder(db, {
    orderId: args.orderId,
    actor: args.actor,
    clock: args.clock,
    certificateId: args.certificateId,
    open: true,
    consent,
  });
  return orderView(db, args.keys, order);
}

/** Step 3 取消申请: the certificate is free for a new application afterwards. */
export async function cancel(
  db: Db,
  args: { certificateId: string; orderId: string; actor: Actor; clock: Clock; keys: FieldKeys; pay: PaymentDeps },
): Promise<OrderView> {
  await openOrder(db, args.certificateId, args.orderId);
  const order = await cancelOrder(db, {
    orderId: args.orderId,
    actor: args.actor,
    clock: args.clock,
    reason: "holder cancelled",
    pay: args.pay,
    certificateId: args.certificateId,
  });
  return orderView(db, args.keys, order);
}

/** Where the holder stands: the current order (open or just completed) and the step to show. */
export async function orderStatus(
  db: Db,
  args: { certificateId: string; keys: FieldKeys; invoiceSkipped?: boolean },
): Promise<{ order: OrderView | null; step: WizardStep }> {
  const order = await currentOrder(db, args.certificateId);
  if (!order) return { order: null, step: "handler" };
  const view = await orderView(db, args.keys, order, { invoiceSkipped: args.invoiceSkipped });
  return { order: view, step: view.step };
}

/** The open order for a step that needs one (payment, invoice, 下证), owned by the session's certificate. */
export function requireOpenOrder(db: Db, certificateId: string, orderId?: string): Promise<RenewalOrder> {
  return openOrder(db, certificateId, orderId);
}

/** The holder's own order (open or finished), else ORDER_NOT_FOUND. */
export async function ownOrder(db: Db, certificateId: string, orderId: string): Promise<RenewalOrder> {
  const order = await uniqueRow(db, "RenewalOrder", "id", orderId);
  if (!order || order.certificateId !== certificateId) throw new DomainError("ORDER_NOT_FOUND");
  return order;
}

/** 开票信息 after payment (optional): stored for finance; the wizard goes on to 下证. */
export async function saveInvoiceDetails(
  db: Db,
  args: { certificateId: string; orderId: string; details: unknown; actor: Actor; clock: Clock; keys: FieldKeys },
): Promise<OrderView> {
  const order = await ownOrder(db, args.certificateId, args.orderId);
  await saveInvoice(db, { orderId: order.id, details: args.details, actor: args.actor, clock: args.clock });
  return orderView(db, args.keys, await ownOrder(db, args.certificateId, args.orderId));
}

const SKIP_INVOICE = `
    UPDATE "Session"
    SET "data" = jsonb_set(
      CASE WHEN jsonb_typeof("data") = 'object' THEN "data" ELSE '{}'::jsonb END,
      '{invoiceSkipped}',
      CASE WHEN jsonb_typeof("data"->'invoiceSkipped') = 'array' THEN "data"->'invoiceSkipped' ELSE '[]'::jsonb END
        || jsonb_build_array($2::text))
    WHERE "id" = $1
      AND NOT coalesce("data"->'invoiceSkipped' @> jsonb_build_array($2::text), false)
    RETURNING "id"`;

/** 跳过: remembered in the holder's session, so resuming in this browser goes straight to 下证. */
export async function skipInvoice(
  db: Db,
  args: { sessionId: string; certificateId: string; orderId: string; keys: FieldKeys },
): Promise<OrderView> {
  const order = await ownOrder(db, args.certificateId, args.orderId);
  // the order joins the session's invoiceSkipped list in one statement: two skips at once (two orders, two tabs)
  // cannot overwrite each other's, and a repeat adds nothing
  await sqlRows(db, SKIP_INVOICE, [args.sessionId, order.id]);
  return orderView(db, args.keys, order, { invoiceSkipped: true });
}
