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
 * The header the portal's own node:http front (scripts/portal-server.ts) sets to the socket's remote address,
 * after deleting any copy the client sent. It is the only address the portal takes as given.
 */
export const PEER_HEADER = "x-certrenew-peer";

/** `::ffff:10.0.0.1` (an IPv4 client on a dual-stack socket) is the same client as `10.0.0.1`. */
function normaliseAddress(a: string): string {
  const v4mapped = /^::ffff:(\d{1,3}(?:\.\d{1,3}){3})$/i.exec(a);
  return (v4mapped ? v4mapped[1] : a).slice(0, 64);
}

/**
 * The client address for rate limits and audit. The peer is the socket's address as the front reports it
 * (PEER_HEADER); without the front there is no trustworthy address and the answer is null: a client's own
 * X-Forwarded-For is never taken as its address. Behind load balancers set TRUST_PROXY to the number of
 * proxies in front (usually 1): the address is then read exactly that many hops from the right of
 * X-Forwarded-For followed by the peer, the entry the nearest trusted proxy wrote. A chain shorter than that
 * (a client that reached the portal past the proxies) gives its leftmost entry, the farthest-out address seen.
 */
export function clientIp(req: Request, trustProxy: number): string | null {
  const peer = req.headers.get(PEER_HEADER)?.trim();
  if (!peer) return null;
  const hops = Math.max(0, Math.floor(trustProxy) || 0);
  const chain =
    hops === 0
      ? [peer]
      : [
          ...(req.headers.get("x-forwarded-for") ?? "")
            .split(",")
            .map((s) => s.trim())
            .filter(Boolean),
          peer,
        ];
  const ip = chain[Math.max(0, chain.length - 1 - hops)];
  return normaliseAddress(ip);
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
