import { NextResponse, type NextRequest } from "next/server";
import { allowedOrigins } from "@/lib/http/request";

/**
 * The per-request nonce CSP of the pages (no inline scripts without it; the certificate assistant on 127.0.0.1 is
 * the only foreign address a page may call). The headers that are the same on every answer (nosniff,
 * X-Frame-Options, Referrer-Policy, Permissions-Policy, HSTS over HTTPS) come from next.config.ts, so this proxy
 * runs for documents only: not for /api (JSON, no scripts), Next's static files, or the protocol endpoints the
 * node:http front answers (lib/runtime/front.ts). A proxy run costs about as much as a cheap route handler
 * (bench/README.md), and the holder API is most of the portal's traffic.
 */
function assistantOrigins(): string {
  const port = process.env.ASSISTANT_PORT || "17443";
  return `http://127.0.0.1:${port} http://localhost:${port}`;
}

const truthy = (v: string | undefined) => v === "1" || v === "true" || v === "yes";

/** The public origin and whether demo mode is on, as lib/config reads them (the proxy stays light: no zod here). */
function site() {
  const port = process.env.PORT || "3000";
  const publicOrigin = (process.env.PUBLIC_ORIGIN || `http://localhost:${port}`).replace(/\/$/, "");
  const demo = truthy(process.env.DEMO_MODE);
  return { publicOrigin, demo, production: process.env.NODE_ENV === "production" };
}

/** Paths any name may reach: load balancers' probes and the PKI endpoints (relying parties use the URL they have). */
const ANY_HOST = /^\/(api\/health|api\/ready|ocsp|crl\/|ca\/)/;

function refuse(status: number, code: string, message: string) {
  return NextResponse.json({ error: { code, message } }, { status, headers: { "cache-control": "no-store" } });
}

/**
 * Before anything runs: a path with a malformed %-escape is a 400 (Next would fail decoding it); a request for
 * another host name is not answered as this site (a page opened by another local name, e.g. 127.0.0.1 in the
 * demo, is sent to the public origin, so the certificate assistant's origin check does not fail halfway through
 * the wizard); the demo's emulators answer 404 in production.
 */
function guard(request: NextRequest): NextResponse | null {
  const { pathname, search } = request.nextUrl;
  try {
    decodeURIComponent(pathname);
  } catch {
    return refuse(400, "BAD_REQUEST", "Malformed request path.");
  }
  const { publicOrigin, demo, production } = site();
  if (production && !demo && /^\/(sandbox|dev)(\/|$)/.test(pathname)) return refuse(404, "NOT_FOUND", "Not found.");
  const host = request.headers.get("host")?.toLowerCase();
  if (!host || ANY_HOST.test(pathname)) return null;
  const publicHost = new URL(publicOrigin).host;
  if (host === publicHost) return null;
  const method = request.method.toUpperCase();
  const api = pathname.startsWith("/api/");
  if (!api && (method === "GET" || method === "HEAD"))
    return NextResponse.redirect(`${publicOrigin}${pathname}${search}`, 308);
  const allowed = allowedOrigins(publicOrigin, demo).map((o) => new URL(o).host);
  if (allowed.includes(host)) return null;
  return refuse(421, "MISDIRECTED_REQUEST", "This request was sent to a name this site does not answer to.");
}

export function proxy(request: NextRequest) {
  const refused = guard(request);
  if (refused) return refused;
  const nonce = Buffer.from(crypto.getRandomValues(new Uint8Array(16))).toString("base64");
  const dev = process.env.NODE_ENV === "development";
  const csp = [
    "default-src 'self'",
    `script-src 'self' 'nonce-${nonce}' 'strict-dynamic'${dev ? " 'unsafe-eval'" : ""}`,
    "style-src 'self' 'unsafe-inline'",
    "img-src 'self' data: blob:",
    "font-src 'self'",
    `connect-src 'self' ${assistantOrigins()}`,
    "object-src 'none'",
    "base-uri 'self'",
    "form-action 'self'",
    "frame-ancestors 'none'",
  ].join("; ");

  const requestHeaders = new Headers(request.headers);
  requestHeaders.set("x-nonce", nonce);
  requestHeaders.set("content-security-policy", csp);
  if (!requestHeaders.get("x-request-id")) requestHeaders.set("x-request-id", crypto.randomUUID());

  const response = NextResponse.next({ request: { headers: requestHeaders } });
  response.headers.set("content-security-policy", csp);
  return response;
}

export const config = {
  // documents only (see above); the protocol paths are answered by the front under `npm start`
  matcher: [{ source: "/((?!api/|_next/|favicon.ico|ocsp|crl/|ca/|downloads/assistant/).*)" }],
};
