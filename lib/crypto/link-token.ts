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
