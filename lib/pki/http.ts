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

export function etagOf(body: Buffer): string {
  return `"${createHash("sha256").update(body).digest("base64url").slice(0, 32)}"`;
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

/** The 200 and the 304 answer of one published object, built once. */
interface Prepared {
  version: number;
  etag: string;
  lastModified?: Date;
  ok: HttpAnswer;
  notModified: HttpAnswer;
}

// Published objects (pre-signed OCSP responses, CRLs, CA certificates) are the same Buffer for as long as they are
// current: their ETag (a SHA-256), their HTTP dates and both answers are built once per Buffer, not per request.
const prepared = new WeakMap<Buffer, Prepared>();

/** What a published object is served with: its headers (without validators) and Last-Modified. */
export interface Publication {
  headers: Record<string, string>;
  lastModified?: Date;
}

function prepare(body: Buffer, { headers, lastModified }: Publication, version: number): Prepared {
  const etag = etagOf(body);
  const validators: Record<string, string> = { etag };
  if (lastModified) validators["last-modified"] = lastModified.toUTCString();
  const kept: Record<string, string> = {};
  for (const k of ["cache-control", "expires"]) if (headers[k]) kept[k] = headers[k];
  return {
    version,
    etag,
    lastModified,
    ok: { status: 200, headers: { ...headers, ...validators }, body },
    notModified: { status: 304, headers: { ...kept, ...validators }, body: Buffer.alloc(0) },
  };
}

/**
 * 200 with the body and its validators, or 304 with the validators and the caching headers only (RFC 9110
 * 15.4.5: a 304 carries what a 200 would have in Cache-Control, ETag, Expires, Last-Modified). The answers are
 * built on the first request for `body` and kept with it; `describe` is called again only when `version` changes
 * (OCSP GET answers: their Expires moves every second). The same answer objects are returned each time: callers
 * must not change them.
 */
export function cacheableAnswer(req: Conditional, body: Buffer, describe: () => Publication, version = 0): HttpAnswer {
  let p = prepared.get(body);
  if (!p || p.version !== version) prepared.set(body, (p = prepare(body, describe(), version)));
  return (req.ifNoneMatch || req.ifModifiedSince) && notModified(req, p.etag, p.lastModified) ? p.notModified : p.ok;
}

const CRL_HEADERS = {
  "content-type": "application/pkix-crl",
  "content-disposition": 'attachment; filename="issuing.crl"',
  "cache-control": "public, max-age=300",
};

/** The CRL (DER) as /crl/issuing.crl serves it. */
export function crlAnswer(req: Conditional, crl: { der: Buffer; thisUpdate: Date }): HttpAnswer {
  return cacheableAnswer(req, crl.der, () => ({ headers: CRL_HEADERS, lastModified: crl.thisUpdate }));
}

/** A CA certificate (DER) as /ca/<file> serves it; Last-Modified is its notBefore (the same on every instance). */
export function caCertAnswer(req: Conditional, der: Buffer, filename: string): HttpAnswer {
  return cacheableAnswer(req, der, () => ({
    headers: {
      "content-type": "application/pkix-cert",
      "content-disposition": `attachment; filename="${filename}"`,
      "cache-control": "public, max-age=3600",
    },
    lastModified: parseCertificate(der).notBefore,
  }));
}
