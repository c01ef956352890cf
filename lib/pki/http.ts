import { createHash } from "node:crypto";
import { parseCertificate } from "./x509";

/**
 * HTTP caching for what lib/pki publishes (OCSP responses, the CRL, the CA certificates): strong entity tags,
 * Last-Modified, and conditional GET (RFC 9110 13.1) answered with 304. Shared by the portal's node:http front
 * (lib/runtime/front.ts) and the Next routes (next dev), so both answer alike.
 */

export interface HttpAnswer {
  status: number;
  headers: Record<string, string>;
  body: Buffer;
}

/** The request's conditional headers. */
export interface Conditional {
  ifNoneMatch?: string | null;
  ifModifiedSince?: string | null;
}

/** The conditional headers of a Fetch API request (the Next routes). */
export const conditionalOf = (h: Headers): Conditional => ({
  ifNoneMatch: h.get("if-none-match"),
  ifModifiedSince: h.get("if-modified-since"),
});

// the strong validator of each published object, by its bytes (pre-signed responses, CRLs and certificates are
// the same Buffer for as long as they are current)
const etags = new WeakMap<Buffer, string>();

export function etagOf(body: Buffer): string {
  let e = etags.get(body);
  if (!e) etags.set(body, (e = `"${createHash("sha256").update(body).digest("base64url").slice(0, 32)}"`));
  return e;
}

/** RFC 9110 13.1.2: If-None-Match lists the entity tags the cache holds ("*": any); weak comparison for GET. */
function etagMatches(ifNoneMatch: string, etag: string): boolean {
  if (ifNoneMatch.trim() === "*") return true;
  return ifNoneMatch.split(",").some((t) => t.trim().replace(/^W\//, "") === etag);
}

/**
 * Whether a GET may be answered 304: If-None-Match decides when present (RFC 9110 13.2.2); otherwise
 * If-Modified-Since, when lastModified (to the second, as HTTP dates are) is not after it.
 */
export function notModified(h: Conditional, etag: string, lastModified: Date | undefined): boolean {
  if (h.ifNoneMatch) return etagMatches(h.ifNoneMatch, etag);
  if (!h.ifModifiedSince || !lastModified) return false;
  const since = Date.parse(h.ifModifiedSince);
  return Number.isFinite(since) && Math.floor(lastModified.getTime() / 1000) * 1000 <= since;
}

/**
 * 200 with the body and its validators, or 304 with the validators and the caching headers only (RFC 9110
 * 15.4.5: a 304 carries what a 200 would have in Cache-Control, ETag, Expires, Last-Modified).
 */
export function cacheableAnswer(
  req: Conditional & { method?: string },
  body: Buffer,
  headers: Record<string, string>,
  lastModified?: Date,
): HttpAnswer {
  const etag = etagOf(body);
  const validators: Record<string, string> = { etag };
  if (lastModified) validators["last-modified"] = lastModified.toUTCString();
  if (notModified(req, etag, lastModified)) {
    const kept: Record<string, string> = {};
    for (const k of ["cache-control", "expires"]) if (headers[k]) kept[k] = headers[k];
    return { status: 304, headers: { ...kept, ...validators }, body: Buffer.alloc(0) };
  }
  return { status: 200, headers: { ...headers, ...validators }, body };
}

/** The CRL (DER) as /crl/issuing.crl serves it. */
export function crlAnswer(req: Conditional, crl: { der: Buffer; thisUpdate: Date }): HttpAnswer {
  return cacheableAnswer(
    req,
    crl.der,
    {
      "content-type": "application/pkix-crl",
      "content-disposition": 'attachment; filename="issuing.crl"',
      "cache-control": "public, max-age=300",
    },
    crl.thisUpdate,
  );
}

// notBefore of each CA certificate served, parsed once
const notBefores = new WeakMap<Buffer, Date>();

/** A CA certificate (DER) as /ca/<file> serves it; Last-Modified is its notBefore (the same on every instance). */
export function caCertAnswer(req: Conditional, der: Buffer, filename: string): HttpAnswer {
  let since = notBefores.get(der);
  if (!since) notBefores.set(der, (since = parseCertificate(der).notBefore));
  return cacheableAnswer(
    req,
    der,
    {
      "content-type": "application/pkix-cert",
      "content-disposition": `attachment; filename="${filename}"`,
      "cache-control": "public, max-age=3600",
    },
    since,
  );
}
