import { createHash, randomBytes } from "node:crypto";
import { z } from "zod";
import type { Db, Tx } from "../db";
import { DAY, HOUR, type Clock } from "../clock";
import { appendAudit, actorFields, type Actor, withTx } from "../audit";
import { DomainError, isDomainError } from "../errors";
import { hitRateLimit, type Limit } from "../ratelimit";
import { enqueueMail } from "../outbox";
import { maskEmail } from "../privacy/mask";
import type { Invoice, RenewalOrder } from "../generated/prisma/client";

/**
 * The e-invoice goes to the address the invoice details name only once that address is known to want it: the
 * handler's own address (given in the wizard with the key) is, at once; any other address receives one mail with a
 * confirmation link and nothing else until its owner follows it. That mail says only that an invoice for the
 * order was asked to be sent there — no title, no taxpayer number, nothing the form's author typed — so the invoice
 * link cannot be used to send chosen words to chosen addresses. Until then finance sees the details and sends the
 * e-invoice to the handler's address.
 */

export const INVOICE_CONFIRM_TTL_MS = 48 * HOUR;
/** confirmation mails per order and per address a day */
export const INVOICE_CONFIRM_LIMITS = {
  order: { max: 3, windowMs: DAY },
  recipient: { max: 3, windowMs: DAY },
} satisfies Record<string, Limit>;

/** A confirmation link's token as the route accepts it: 32 random bytes, base64url. */
export const InvoiceConfirmToken = z.string().regex(/^[A-Za-z0-9_-]{43}$/);

export const sameAddress = (a: string, b: string) => a.trim().toLowerCase() === b.trim().toLowerCase();
const hashOf = (token: string) => createHash("sha256").update(token).digest("hex");

/** Counts a mail against `key`; false (and nothing counted past the limit) once the day's mails are used up. */
export async function mailAllowed(tx: Tx, key: string, limit: Limit, clock: Clock): Promise<boolean> {
  try {
    await hitRateLimit(tx, key, limit, clock);
    return true;
  } catch (e) {
    if (isDomainError(e) && e.code === "RATE_LIMITED") return false;
    throw e;
  }
}

/** not_needed: the handler's address; kept: confirmed before; sent / pending / limited: awaiting its owner */
export type AddressConfirmation = "not_needed" | "kept" | "sent" | "pending" | "limited";

/**
 * Inside saveInvoice's transaction: whether `email` is confirmed for the order and, when it is not, one
 * confirmation mail to it (within INVOICE_CONFIRM_LIMITS; a link still open for the same address is not sent again).
 */
export async function confirmationFor(
  tx: Tx,
  args: { order: RenewalOrder; previous: Invoice | null; email: string; clock: Clock },
): Promise<{ confirmedAt: Date | null; confirmation: AddressConfirmation }> {
  const { order, previous, email, clock } = args;
  const now = clock.now();
  if (order.handlerEmail && sameAddress(email, order.handlerEmail))
    return { confirmedAt: now, confirmation: "not_needed" };
  if (previous?.emailConfirmedAt && sameAddress(previous.email, email))
    return { confirmedAt: previous.emailConfirmedAt, confirmation: "kept" };
  const open = await tx.invoiceEmailConfirmation.findFirst({
    where: { orderId: order.id, email, usedAt: null, expiresAt: { gt: now } },
  });
  if (open) return { confirmedAt: null, confirmation: "pending" };
  const allowed =
    (await mailAllowed(tx, `invoice-confirm:order:${order.id}`, INVOICE_CONFIRM_LIMITS.order, clock)) &&
    (await mailAllowed(tx, `invoice-confirm:to:${email}`, INVOICE_CONFIRM_LIMITS.recipient, clock));
  if (!allowed) return { confirmedAt: null, confirmation: "limited" };
  // a link mailed for an address the details no longer name can confirm nothing
  await tx.invoiceEmailConfirmation.deleteMany({ where: { orderId: order.id, usedAt: null } });
  const token = randomBytes(32).toString("base64url");
  await tx.invoiceEmailConfirmation.create({
    data: {
      orderId: order.id,
      email,
      tokenHash: hashOf(token),
      expiresAt: new Date(now.getTime() + INVOICE_CONFIRM_TTL_MS),
    },
  });
  await enqueueMail(
    tx,
    {
      to: email,
      template: "invoice_email_confirm",
      locale: order.locale === "en" ? "en" : "zh-CN",
      orderId: order.id,
      data: { orderNo: order.orderNo, confirmToken: token },
    },
    clock,
  );
  return { confirmedAt: null, confirmation: "sent" };
}

export interface InvoiceConfirmationView {
  orderNo: string;
  /** the address to confirm, masked */
  email: string;
  /** open: the button confirms; confirmed: done (this link or another) */
  state: "open" | "confirmed";
}

async function linkOf(db: Tx, token: string) {
  const parsed = InvoiceConfirmToken.safeParse(token);
  const c = parsed.success
    ? await db.invoiceEmailConfirmation.findUnique({ where: { tokenHash: hashOf(parsed.data) } })
    : null;
  const order = c ? await db.renewalOrder.findUnique({ where: { id: c.orderId }, include: { invoice: true } }) : null;
  // the details name another address by now, or the invoice was issued (to the handler): the link confirms nothing
  if (!c || !order?.invoice || !sameAddress(order.invoice.email, c.email))
    throw new DomainError("INVOICE_CONFIRM_INVALID");
  return { c, order, invoice: order.invoice };
}

/** What the confirmation page shows (opening the link confirms nothing: mail scanners follow links). */
export async function invoiceConfirmationView(db: Db, token: string, clock: Clock): Promise<InvoiceConfirmationView> {
  const { c, order, invoice } = await linkOf(db, token);
  const view = { orderNo: order.orderNo, email: maskEmail(c.email) };
  if (c.usedAt && invoice.emailConfirmedAt) return { ...view, state: "confirmed" };
  if (c.usedAt || c.expiresAt <= clock.now() || invoice.issuedAt) throw new DomainError("INVOICE_CONFIRM_INVALID");
  return { ...view, state: "open" };
}

/**
 * The address owner confirms (the page's button): the link is used up, the invoice's address is confirmed, audited.
 * INVOICE_CONFIRM_INVALID for an unknown, used, expired or superseded link and once the invoice is issued.
 */
export async function confirmInvoiceEmail(
  db: Db,
  input: { token: string; actor: Actor; clock: Clock },
): Promise<InvoiceConfirmationView> {
  return withTx(db, async (tx) => {
    const { c, order, invoice } = await linkOf(tx, input.token);
    const now = input.clock.now();
    if (c.expiresAt <= now || invoice.issuedAt) throw new DomainError("INVOICE_CONFIRM_INVALID");
    const used = await tx.invoiceEmailConfirmation.updateMany({
      where: { id: c.id, usedAt: null },
      data: { usedAt: now },
    });
    const confirmed = await tx.invoice.updateMany({
      where: { id: invoice.id, issuedAt: null, email: c.email },
      data: { emailConfirmedAt: now },
    });
    if (used.count !== 1 || confirmed.count !== 1) throw new DomainError("INVOICE_CONFIRM_INVALID");
    await appendAudit(
      tx,
      {
        ...actorFields(input.actor),
        action: "invoice.email_confirmed",
        targetType: "order",
        targetId: order.id,
        data: { email: maskEmail(c.email) },
      },
      input.clock,
    );
    return { orderNo: order.orderNo, email: maskEmail(c.email), state: "confirmed" };
  });
}

/** Where finance sends the e-invoice: the invoice's address once confirmed, the handler's until then. */
export function invoiceDelivery(
  order: Pick<RenewalOrder, "handlerEmail">,
  invoice: Pick<Invoice, "email" | "emailConfirmedAt">,
): { to: string; confirmed: boolean; pending: string | null } {
  return invoice.emailConfirmedAt
    ? { to: invoice.email, confirmed: true, pending: null }
    : { to: order.handlerEmail, confirmed: false, pending: invoice.email };
}
