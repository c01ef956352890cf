import type { Locale } from "../errors/types";
import { parseLocale } from "../messages";

export function readCookie(req: Request, name: string): string | undefined {
  const header = req.headers.get("cookie");
  if (!header) return undefined;
  for (const part of header.split(";")) {
    const i = part.indexOf("=");
    if (i > 0 && part.slice(0, i).trim() === name) {
      try {
        return decodeURIComponent(part.slice(i + 1).trim());
      } catch {
        // a malformed %-escape is not a cookie we ever set
        return undefined;
      }
    }
  }
  return undefined;
}

export const LOCALE_COOKIE = "lang";

export function requestLocale(req: Request): Locale {
  return parseLocale(readCookie(req, LOCALE_COOKIE));
}

/**
 * The client address for rate limits and audit. Next fills X-Forwarded-For with the socket address when
 * the client sent none. Behind a load balancer set TRUST_PROXY to the number of proxies in front
 * (usually 1): the address is then read that many entries from the right, where the proxy wrote it, so a
 * client cannot choose its own address by sending the header itself.
 */
export function clientIp(req: Request, trustProxy: number): string | null {
  const hops = trustProxy;
  const chain = (req.headers.get("x-forwarded-for") ?? "")
    .split(",")
    .map((s) => s.trim())
    .filter(Boolean);
  const ip = chain[Math.max(0, chain.length - Math.max(1, hops))];
  return ip ? ip.slice(0, 64) : null;
}

export interface CookieOptions {
  maxAgeSeconds?: number;
  secure: boolean;
  httpOnly?: boolean;
  sameSite?: "Strict" | "Lax";
  path?: string;
}

export function serializeCookie(name: string, value: string, o: CookieOptions): string {
  const parts = [`${name}=${encodeURIComponent(value)}`, `Path=${o.path ?? "/"}`, `SameSite=${o.sameSite ?? "Strict"}`];
  if (o.httpOnly !== false) parts.push("HttpOnly");
  if (o.secure) parts.push("Secure");
  if (o.maxAgeSeconds !== undefined) parts.push(`Max-Age=${o.maxAgeSeconds}`);
  return parts.join("; ");
}

/** Same-origin check for state-changing requests: Origin must be the portal's own origin. */
export function isSameOrigin(req: Request, publicOrigin: string): boolean {
  const origin = req.headers.get("origin");
  if (origin) {
    if (origin === publicOrigin) return true;
    const host = req.headers.get("host");
    const proto = req.headers.get("x-forwarded-proto") ?? new URL(req.url).protocol.replace(":", "");
    return host !== null && origin === `${proto}://${host}`;
  }
  return req.headers.get("sec-fetch-site") === "same-origin";
}
