import type { Invoice } from "../generated/prisma/client";
import type { Db } from "../db";
import { DAY, type Clock } from "../clock";
import { appendAudit, actorFields, type Actor, withTx } from "../audit";
import { DomainError } from "../errors";
import type { Limit } from "../ratelimit";
import { verifyInvoiceLinkToken, type LinkKeys } from "../crypto/link-token";
import { enqueueMail } from "../outbox";
import { maskEmail } from "../privacy/mask";
import { InvoiceDetails } from "./invoice-details";
import { confirmationFor, invoiceDelivery, mailAllowed } from "./invoice-email";

export { InvoiceDetails } from "./invoice-details";

// money was received and kept: an invoice can be asked for
const INVOICEABLE = new Set(["paid", "issuing", "issued", "installed"]);

/** invoice_received mails per order and per recipient per day: the invoice link must not become a mail relay */
export const INVOICE_MAIL_LIMITS = {
  order: { max: 3, windowMs: DAY },
  recipient: { max: 5, windowMs: DAY },
} satisfies Record<string, Limit>;

/**
 * Stores (or replaces) the order's invoice details until finance marks the invoice issued (INVOICE_LOCKED after
 * that), audited, and queues the invoice_received confirmation. The confirmation goes to the handler's address on
 * record (given in the wizard, signed in with the key), never to an address typed in the invoice form that is not
 * that one: such an address gets only a confirmation link (lib/payments/invoice-email.ts) and is used for the
 * e-invoice once its owner confirms. At most INVOICE_MAIL_LIMITS mails a day per order and per recipient; past them
 * the details are still saved.
 */
export async function saveInvoice(
  db: Db,
  input: { orderId: string; details: unknown; actor: Actor; clock: Clock },
): Promise<Invoice> {
  const parsed = InvoiceDetails.safeParse(input.details);
  if (!parsed.success) {
    const fields: Record<string, string> = {};
    for (const issue of parsed.error.issues) fields[issue.path.join(".") || "_"] ??= issue.message;
    throw new DomainError("VALIDATION_FAILED", { fields });
  }
  const d = parsed.data;
  return withTx(db, async (tx) => {
    const order = await tx.renewalOrder.findUnique({ where: { id: input.orderId }, include: { invoice: true } });
    if (!order) throw new DomainError("ORDER_NOT_FOUND");
    if (!INVOICEABLE.has(order.state)) throw new DomainError("INVOICE_NOT_ALLOWED", { state: order.state });
    if (order.invoice?.issuedAt) throw new DomainError("INVOICE_LOCKED");
    const { confirmedAt, confirmation } = await confirmationFor(tx, {
      order,
      previous: order.invoice,
      email: d.email,
      clock: input.clock,
    });
    const values = {
      type: d.type,
      title: d.title,
      taxpayerId: d.taxpayerId ?? null,
      email: d.email,
      emailConfirmedAt: confirmedAt,
    };
    // the update is conditional so a concurrent "issued" wins over a late edit
    const saved = order.invoice
      ? await tx.invoice.updateMany({ where: { id: order.invoice.id, issuedAt: null }, data: values })
      : null;
    if (saved && saved.count !== 1) throw new DomainError("INVOICE_LOCKED");
    const invoice = order.invoice
      ? await tx.invoice.findUniqueOrThrow({ where: { id: order.invoice.id } })
      : await tx.invoice.create({ data: { orderId: order.id, ...values } });
    await appendAudit(
      tx,
      {
        ...actorFields(input.actor),
        action: order.invoice ? "invoice.updated" : "invoice.submitted",
        targetType: "order",
        targetId: order.id,
        data: { type: d.type, emailConfirmation: confirmation },
      },
      input.clock,
    );
    const to = order.handlerEmail;
    const mail =
      Boolean(to) &&
      (await mailAllowed(tx, `invoice-mail:order:${order.id}`, INVOICE_MAIL_LIMITS.order, input.clock)) &&
      (await mailAllowed(tx, `invoice-mail:to:${to.trim().toLowerCase()}`, INVOICE_MAIL_LIMITS.recipient, input.clock));
    if (!mail) return invoice;
    await enqueueMail(
      tx,
      {
        to,
        template: "invoice_received",
        locale: order.locale === "en" ? "en" : "zh-CN",
        orderId: order.id,
        data: {
          orderNo: order.orderNo,
          invoiceType: d.type,
          title: d.title,
          taxpayerId: d.taxpayerId ?? null,
          // until its owner confirms another address, the e-invoice goes to the handler's: the mail says so
          email: confirmedAt ? d.email : to,
          pendingEmail: confirmedAt ? null : d.email,
        },
      },
      input.clock,
    );
    return invoice;
  });
}

/** Finance has issued the e-invoice: the details are locked from now on. Repeating it changes nothing. */
export async function markInvoiceIssued(
  db: Db,
  input: { orderId: string; actor: Actor; clock: Clock },
): Promise<Invoice> {
  return withTx(db, async (tx) => {
    const invoice = await tx.invoice.findUnique({ where: { orderId: input.orderId } });
    if (!invoice) throw new DomainError("INVOICE_NOT_FOUND");
    if (invoice.issuedAt) return invoice;
    const done = await tx.invoice.update({
      where: { id: invoice.id },
      data: { issuedAt: input.clock.now(), issuedBy: input.actor.id ?? null },
    });
    await appendAudit(
      tx,
      {
        ...actorFields(input.actor),
        action: "invoice.issued",
        targetType: "order",
        targetId: input.orderId,
        data: { invoiceId: invoice.id },
      },
      input.clock,
    );
    return done;
  });
}

export interface InvoiceLinkView {
  orderNo: string;
  paidFen: number;
  paidAt: Date | null;
  /** details can be given or changed now */
  open: boolean;
  /** the details given so far (the e-mail masked; `emailPending`: its owner has not confirmed it yet), or null */
  invoice: {
    type: string;
    title: string;
    taxpayerId: string | null;
    email: string;
    emailPending: boolean;
    issued: boolean;
  } | null;
}

async function orderOfLink(db: Db, keys: LinkKeys, token: string) {
  const id = verifyInvoiceLinkToken(keys, token);
  const order = id ? await db.renewalOrder.findUnique({ where: { id }, include: { invoice: true } }) : null;
  if (!order) throw new DomainError("INVOICE_LINK_INVALID");
  return order;
}

/** What the invoice page shows for a link; INVOICE_LINK_INVALID for a damaged or forged one. */
export async function invoiceLinkView(db: Db, keys: LinkKeys, token: string): Promise<InvoiceLinkView> {
  const order = await orderOfLink(db, keys, token);
  const inv = order.invoice;
  return {
    orderNo: order.orderNo,
    paidFen: order.paidFen ?? order.priceFen,
    paidAt: order.paidAt,
    open: INVOICEABLE.has(order.state) && !inv?.issuedAt,
    invoice: inv
      ? {
          type: inv.type,
          title: inv.title,
          taxpayerId: inv.taxpayerId,
          email: maskEmail(inv.email),
          emailPending: !invoiceDelivery(order, inv).confirmed,
          issued: Boolean(inv.issuedAt),
        }
      : null,
  };
}

/** Saves invoice details through the order's link: the same rules as in the wizard (saveInvoice). */
export async function saveInvoiceByLink(
  db: Db,
  input: { token: string; details: unknown; actor: Actor; clock: Clock; keys: LinkKeys },
): Promise<InvoiceLinkView> {
  const order = await orderOfLink(db, input.keys, input.token);
  await saveInvoice(db, { orderId: order.id, details: input.details, actor: input.actor, clock: input.clock });
  return invoiceLinkView(db, input.keys, input.token);
}
