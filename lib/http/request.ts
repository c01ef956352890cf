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

/**
 * The origins the portal answers as itself: the configured public origin, and in demo mode the same port on
 * localhost and 127.0.0.1 (the demo is opened by either name). Never what a request's own Host header says.
 */
export function allowedOrigins(publicOrigin: string, demo: boolean): string[] {
  const origins = [publicOrigin];
  if (demo) {
    const u = new URL(publicOrigin);
    for (const host of ["localhost", "127.0.0.1", "[::1]"])
      origins.push(`${u.protocol}//${host}${u.port ? `:${u.port}` : ""}`);
  }
  return [...new Set(origins)];
}

/**
 * Same-origin check for state-changing requests: Origin must be one of the portal's own origins (allowedOrigins).
 * A matching Host header proves nothing: the client writes both.
 */
export function isSameOrigin(req: Request, publicOrigin: string, demo = false): boolean {
  const origin = req.headers.get("origin");
  if (origin) return allowedOrigins(publicOrigin, demo).includes(origin);
  return req.headers.get("sec-fetch-site") === "same-origin";
}

/**
 * A `next=` target reduced to a path on this origin, as the browser will read it: parsed with the URL API against
 * the origin (backslashes, tabs and newlines normalised as browsers do) and refused unless it stays on that origin.
 * Anything else is "/".
 */
export function localPath(next: string | null | undefined, origin: string): string {
  if (!next || !next.startsWith("/")) return "/";
  let u: URL;
  try {
    u = new URL(next, origin);
  } catch {
    return "/";
  }
  if (u.origin !== new URL(origin).origin) return "/";
  const path = `${u.pathname}${u.search}${u.hash}`;
  // a path the normalisation turned into `//host` or `/\host` would leave the site when used as a Location
  return /^\/[/\\]/.test(path) ? "/" : path;
}

/** JSON nested deeper than this, or any string with a NUL, is refused before validation (BAD_REQUEST). */
export const MAX_JSON_DEPTH = 32;

/**
 * Whether parsed input is sane for every later step: nesting at most MAX_JSON_DEPTH (deeper input made recursive
 * code throw RangeError) and no NUL character in any key or string (PostgreSQL refuses them in text: 22021).
 * Iterative, so the check itself cannot overflow the stack.
 */
export function saneInput(value: unknown): boolean {
  const stack: [unknown, number][] = [[value, 0]];
  while (stack.length) {
    const [v, depth] = stack.pop()!;
    if (typeof v === "string") {
      if (v.includes("\u0000")) return false;
    } else if (v !== null && typeof v === "object") {
      if (depth >= MAX_JSON_DEPTH) return false;
      for (const [k, child] of Object.entries(v)) {
        if (k.includes("\u0000")) return false;
        stack.push([child, depth + 1]);
      }
    }
  }
  return true;
}
