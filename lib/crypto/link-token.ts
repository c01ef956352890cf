import { createHmac, timingSafeEqual } from "node:crypto";
import type { Config } from "../config";

/**
 * The secret link tokens are made with (SESSION_SECRET): pass the Config itself or any object carrying it. During a
 * rotation SESSION_SECRET_PREVIOUS, when set, still verifies the links mailed before it (new links use the new one).
 */
export type LinkKeys = Pick<Config, "SESSION_SECRET"> & Partial<Pick<Config, "SESSION_SECRET_PREVIOUS">>;

/**
 * The secrets a value keyed by SESSION_SECRET is checked against: the current one, then SESSION_SECRET_PREVIOUS during
 * a rotation (links, captcha answers and unlock codes made by an instance still on the old secret keep working).
 */
export function sessionSecrets(keys: LinkKeys): string[] {
  return keys.SESSION_SECRET_PREVIOUS ? [keys.SESSION_SECRET, keys.SESSION_SECRET_PREVIOUS] : [keys.SESSION_SECRET];
}

/** Whether `given` equals `make(secret)` for one of the session secrets (constant-time per comparison). */
export function matchesAnySessionSecret(keys: LinkKeys, given: string, make: (secret: string) => string): boolean {
  const g = Buffer.from(given);
  return sessionSecrets(keys).some((secret) => {
    const expected = Buffer.from(make(secret));
    return g.length === expected.length && timingSafeEqual(g, expected);
  });
}

function mac(secret: string, purpose: string, id: string): string {
  return createHmac("sha256", secret).update(`${purpose}:${id}`).digest("base64url").slice(0, 32);
}

/**
 * `<id>.<HMAC>`: a link to one record for one purpose (a mail's unsubscribe link, an order's invoice page). It
 * cannot be forged for another record or reused for another purpose; only SESSION_SECRET makes it.
 */
export function linkToken(keys: LinkKeys, purpose: string, id: string): string {
  return `${id}.${mac(keys.SESSION_SECRET, purpose, id)}`;
}

/** The record id the token was made for, or null when the token is damaged, forged or made for another purpose. */
export function verifyLinkToken(keys: LinkKeys, purpose: string, token: string): string | null {
  const dot = token.lastIndexOf(".");
  if (dot <= 0) return null;
  const id = token.slice(0, dot);
  return matchesAnySessionSecret(keys, token.slice(dot + 1), (secret) => mac(secret, purpose, id)) ? id : null;
}

const INVOICE_PURPOSE = "order-invoice";

/**
 * The order's own invoice page link (`/invoice/<token>`), sent with the payment mail: invoice details can be given
 * or corrected later without the key — the key then holds the new certificate, which is no longer renewable.
 */
export const invoiceLinkToken = (keys: LinkKeys, orderId: string): string => linkToken(keys, INVOICE_PURPOSE, orderId);

/** The order id an invoice link was made for, or null. */
export const verifyInvoiceLinkToken = (keys: LinkKeys, token: string): string | null =>
  verifyLinkToken(keys, INVOICE_PURPOSE, token);
