import { createHmac, timingSafeEqual } from "node:crypto";
import { getConfig } from "../config";

function mac(purpose: string, id: string): string {
  return createHmac("sha256", getConfig().SESSION_SECRET).update(`${purpose}:${id}`).digest("base64url").slice(0, 32);
}

/**
 * `<id>.<HMAC>`: a link to one record for one purpose (a mail's unsubscribe link, an order's invoice page). It
 * cannot be forged for another record or reused for another purpose; only SESSION_SECRET makes it.
 */
export function linkToken(purpose: string, id: string): string {
  return `${id}.${mac(purpose, id)}`;
}

/** The record id the token was made for, or null when the token is damaged, forged or made for another purpose. */
export function verifyLinkToken(purpose: string, token: string): string | null {
  const dot = token.lastIndexOf(".");
  if (dot <= 0) return null;
  const id = token.slice(0, dot);
  const given = Buffer.from(token.slice(dot + 1));
  const expected = Buffer.from(mac(purpose, id));
  return given.length === expected.length && timingSafeEqual(given, expected) ? id : null;
}

const INVOICE_PURPOSE = "order-invoice";

/**
 * The order's own invoice page link (`/invoice/<token>`), sent with the payment mail: invoice details can be given
 * or corrected later without the key — the key then holds the new certificate, which is no longer renewable.
 */
export const invoiceLinkToken = (orderId: string): string => linkToken(INVOICE_PURPOSE, orderId);

/** The order id an invoice link was made for, or null. */
export const verifyInvoiceLinkToken = (token: string): string | null => verifyLinkToken(INVOICE_PURPOSE, token);
