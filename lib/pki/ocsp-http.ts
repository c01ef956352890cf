import { OCSP_MAX_REQUEST_BYTES, OCSP_STATUS, ocspError, respondOcsp, type OcspDeps } from "./ocsp";

export interface OcspHttpRequest {
  method: string;
  /** GET: the base64 request from the path after /ocsp/ (URL-encoded or not) */
  path?: string;
  /** POST: the body */
  body?: Buffer;
  contentType?: string | null;
}

export interface HttpAnswer {
  status: number;
  headers: Record<string, string>;
  body: Buffer;
}

const OCSP_HEADERS = { "content-type": "application/ocsp-response", "cache-control": "no-cache" };

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
 * HTTP binding of the OCSP responder (RFC 6960 appendix A), shared by the Next route and the tests' node:http
 * server. Unreadable requests get an OCSP malformedRequest; only a wrong method or content type is a 4xx.
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
    der = req.path && req.path.length <= OCSP_MAX_REQUEST_BYTES * 2 ? decodeGetPath(req.path) : undefined;
  } else {
    return {
      status: 405,
      headers: { allow: "GET, POST", "content-type": "text/plain" },
      body: Buffer.from("method not allowed"),
    };
  }
  const body = der && der.length ? await respondOcsp(deps, der) : ocspError(OCSP_STATUS.malformedRequest);
  return { status: 200, headers: OCSP_HEADERS, body };
}
