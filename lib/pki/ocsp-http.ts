import { cacheableAnswer, type Conditional, type HttpAnswer, type Publication } from "./http";
import {
  OCSP_MAX_REQUEST_BYTES,
  OCSP_STATUS,
  answerOcspRequest,
  ocspError,
  type OcspAnswer,
  type OcspDeps,
} from "./ocsp";

export interface OcspHttpRequest extends Conditional {
  method: string;
  /** GET: the base64 request from the path after /ocsp/ (URL-encoded or not) */
  path?: string;
  /** POST: the body */
  body?: Buffer;
  contentType?: string | null;
}

const OCSP_HEADERS = { "content-type": "application/ocsp-response", "cache-control": "no-cache" };

/**
 * How long an HTTP cache (a CDN, a proxy, the relying party's own) may keep a GET answer before it asks again.
 * RFC 5019 allows up to nextUpdate (a day here), but a revocation must reach relying parties soon: a cache that
 * keeps an answer for 60 s and then revalidates it (If-None-Match → 304 while the pre-signed response is the
 * same) shows a revocation within a minute and still takes nearly all the traffic off the portal.
 */
export const OCSP_HTTP_MAX_AGE_S = 60;

/** How a successful GET answer is served (RFC 5019 6.2, max-age capped at OCSP_HTTP_MAX_AGE_S) at `second`. */
function publication(a: OcspAnswer, second: number): Publication {
  const now = second * 1000;
  const untilNext = Math.floor(((a.nextUpdate?.getTime() ?? now) - now) / 1000);
  const maxAge = Math.max(0, Math.min(OCSP_HTTP_MAX_AGE_S, untilNext));
  return {
    headers: {
      "content-type": "application/ocsp-response",
      "cache-control": `max-age=${maxAge}, public, no-transform, must-revalidate`,
      expires: new Date(now + maxAge * 1000).toUTCString(),
    },
    lastModified: a.producedAt,
  };
}

// GET paths already decoded into a request that has a pre-signed answer: RFC 5019 clients and HTTP caches ask with
// the same path for the same certificate. Bounded, first in first out; only paths that got a successful answer.
const decodedPaths = new Map<string, Buffer>();
const DECODED_MAX_ENTRIES = 20_000;

function remember(path: string, der: Buffer): void {
  if (decodedPaths.has(path)) return;
  if (decodedPaths.size >= DECODED_MAX_ENTRIES) decodedPaths.delete(decodedPaths.keys().next().value as string);
  decodedPaths.set(path, der);
}

function decodeGetPath(path: string): Buffer | undefined {
  let text: string;
  try {
    text = decodeURIComponent(path);
  } catch {
    return undefined;
  }
  text = text.replace(/^\/+/, "");
  // base64 (RFC 6960 A.1) or base64url; anything else is not a request
  if (!text || !/^[A-Za-z0-9+/_-]*={0,2}$/.test(text)) return undefined;
  return Buffer.from(text.replace(/-/g, "+").replace(/_/g, "/"), "base64");
}

/**
 * HTTP binding of the OCSP responder (RFC 6960 appendix A, RFC 5019), shared by the portal's node:http front
 * (lib/runtime/front.ts), the Next routes (next dev) and the tests. Unreadable requests get an OCSP
 * malformedRequest; only a wrong method or content type is a 4xx. A successful GET answer carries
 * Cache-Control max-age, ETag, Last-Modified and Expires, and a conditional GET whose validator still matches
 * gets 304 without a body; POST answers are not cacheable (no-cache), as RFC 5019 says.
 */
export async function answerOcspHttp(deps: OcspDeps, req: OcspHttpRequest): Promise<HttpAnswer> {
  let der: Buffer | undefined;
  if (req.method === "POST") {
    if (!req.contentType?.toLowerCase().startsWith("application/ocsp-request")) {
      return {
        status: 415,
        headers: { "content-type": "text/plain" },
        body: Buffer.from("expected application/ocsp-request"),
      };
    }
    if ((req.body?.length ?? 0) > OCSP_MAX_REQUEST_BYTES)
      return { status: 413, headers: { "content-type": "text/plain" }, body: Buffer.from("request too large") };
    der = req.body;
  } else if (req.method === "GET") {
    der =
      req.path && req.path.length <= OCSP_MAX_REQUEST_BYTES * 2
        ? (decodedPaths.get(req.path) ?? decodeGetPath(req.path))
        : undefined;
  } else {
    return {
      status: 405,
      headers: { allow: "GET, POST", "content-type": "text/plain" },
      body: Buffer.from("method not allowed"),
    };
  }
  const answer: OcspAnswer =
    der && der.length ? await answerOcspRequest(deps, der) : { der: ocspError(OCSP_STATUS.malformedRequest) };
  if (req.method !== "GET" || !answer.producedAt) return { status: 200, headers: OCSP_HEADERS, body: answer.der };
  remember(req.path!, der!);
  const second = Math.floor(deps.clock.now().getTime() / 1000);
  return cacheableAnswer(req, answer.der, () => publication(answer, second), second);
}
