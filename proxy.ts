import { NextResponse, type NextRequest } from "next/server";
import { refusal, refusalAnswer } from "@/lib/http/guard";

/**
 * The per-request nonce CSP of the pages (no inline scripts without it; the certificate assistant on 127.0.0.1 is
 * the only foreign address a page may call). The headers that are the same on every answer (nosniff,
 * X-Frame-Options, Referrer-Policy, Permissions-Policy, HSTS over HTTPS) come from next.config.ts, so this proxy
 * runs for documents only: not for /api (JSON, no scripts), Next's static files, or the protocol endpoints the
 * node:http front answers (lib/runtime/front.ts), and not for the App Router's own requests (an `RSC` header:
 * navigations carry no scripts), for which the front applies the same guard (lib/http/guard.ts) under `npm start`.
 * A proxy run costs about as much as a cheap route handler: ~0.6 of a navigation's ~2.9 ms (bench/README.md).
 */
function assistantOrigins(): string {
  const port = process.env.ASSISTANT_PORT || "17443";
  return `http://127.0.0.1:${port} http://localhost:${port}`;
}

function guard(request: NextRequest): NextResponse | null {
  const r = refusal({
    pathname: request.nextUrl.pathname,
    search: request.nextUrl.search,
    method: request.method,
    host: request.headers.get("host") ?? undefined,
  });
  if (!r) return null;
  const a = refusalAnswer(r);
  return new NextResponse(a.body || null, { status: a.status, headers: a.headers });
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
  matcher: [
    {
      source: "/((?!api/|_next/|favicon.ico|ocsp|crl/|ca/|downloads/assistant/).*)",
      missing: [{ type: "header", key: "rsc" }],
    },
  ],
};
