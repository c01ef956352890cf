import { allowedOrigins } from "./request";

/**
 * What a request meets before anything else runs: proxy.ts for documents, the node:http front (lib/runtime/front.ts)
 * for the App Router's own requests (navigations, with an `RSC` header), which skip the proxy.
 *
 * A path with a malformed %-escape is a 400 (Next would fail decoding it); a request for another host name is not
 * answered as this site (a page opened by another local name, e.g. 127.0.0.1 in the demo, is sent to the public
 * origin, so the certificate assistant's origin check does not fail halfway through the wizard); the demo's
 * emulators answer 404 in production.
 */
export type Refusal = { status: 400 | 404 | 421; code: string; message: string } | { status: 308; location: string };

const truthy = (v: string | undefined) => v === "1" || v === "true" || v === "yes";

/** The public origin and whether demo mode is on, as lib/config reads them (no zod here: the proxy stays light). */
export function site() {
  const port = process.env.PORT || "3000";
  const publicOrigin = (process.env.PUBLIC_ORIGIN || `http://localhost:${port}`).replace(/\/$/, "");
  const demo = truthy(process.env.DEMO_MODE);
  return { publicOrigin, demo, production: process.env.NODE_ENV === "production" };
}

/** A refusal as it is answered (by proxy.ts and by the front alike): the JSON error, or the redirect. */
export function refusalAnswer(r: Refusal): { status: number; headers: Record<string, string>; body: string } {
  if (r.status === 308) return { status: 308, headers: { location: r.location }, body: "" };
  return {
    status: r.status,
    headers: { "content-type": "application/json", "cache-control": "no-store" },
    body: JSON.stringify({ error: { code: r.code, message: r.message } }),
  };
}

/** Paths any name may reach: load balancers' probes and the PKI endpoints (relying parties use the URL they have). */
const ANY_HOST = /^\/(api\/health|api\/ready|ocsp|crl\/|ca\/)/;

/** `pathname` as sent (not decoded), `search` with its "?" or empty. */
export function refusal(req: {
  pathname: string;
  search: string;
  method: string;
  host: string | undefined;
}): Refusal | null {
  const { pathname, search } = req;
  try {
    decodeURIComponent(pathname);
  } catch {
    return { status: 400, code: "BAD_REQUEST", message: "Malformed request path." };
  }
  const { publicOrigin, demo, production } = site();
  if (production && !demo && /^\/(sandbox|dev)(\/|$)/.test(pathname))
    return { status: 404, code: "NOT_FOUND", message: "Not found." };
  const host = req.host?.toLowerCase();
  if (!host || ANY_HOST.test(pathname)) return null;
  const publicHost = new URL(publicOrigin).host;
  if (host === publicHost) return null;
  const method = req.method.toUpperCase();
  const api = pathname.startsWith("/api/");
  if (!api && (method === "GET" || method === "HEAD"))
    return { status: 308, location: `${publicOrigin}${pathname}${search}` };
  const allowed = allowedOrigins(publicOrigin, demo).map((o) => new URL(o).host);
  if (allowed.includes(host)) return null;
  return {
    status: 421,
    code: "MISDIRECTED_REQUEST",
    message: "This request was sent to a name this site does not answer to.",
  };
}
