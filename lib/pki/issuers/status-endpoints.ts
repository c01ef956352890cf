import { createHash } from "node:crypto";
import { OCSP_MAX_REQUEST_BYTES, OCSP_STATUS, ocspError } from "../ocsp";
import type { HttpAnswer } from "../http";
import type { OcspHttpRequest } from "../ocsp-http";
import { upstreamFetch } from "./http";
import type { ProtocolMode } from "./index";

/**
 * /ocsp and /crl/* in RA mode, where the portal signs neither (protocolMode(config) says which):
 * - `pointer`: 404 with a short text naming the upstream's responder and CRL (relying parties follow the AIA and
 *   CRL distribution point the upstream wrote into its certificates anyway);
 * - `proxy`: forwarded to UPSTREAM_OCSP_URL / UPSTREAM_CRL_URL, each answer cached for `cacheSeconds` (OCSP by
 *   request bytes). An upstream that does not answer gives OCSP `tryLater` and a CRL 503, never a portal answer.
 */

type RaMode = Exclude<ProtocolMode, { kind: "sign" }>;

const cache = new Map<string, { until: number; answer: HttpAnswer }>();
const CACHE_MAX = 5000;

function pointer(mode: RaMode, what: "ocsp" | "crl"): HttpAnswer {
  const where = what === "ocsp" ? mode.ocspUrl : mode.crlUrl;
  const text = [
    `This portal is the registration authority; it does not publish ${what === "ocsp" ? "OCSP responses" : "CRLs"}.`,
    where
      ? `Ask the certificate authority: ${where}`
      : "Use the address in the certificate (authority information access / CRL distribution points).",
    "本门户为注册机构（RA），证书状态由签发机构（CA）发布，请使用证书中的地址或上面的地址查询。",
    "",
  ].join("\n");
  return {
    status: 404,
    headers: { "content-type": "text/plain; charset=utf-8", ...(where ? { link: `<${where}>; rel="alternate"` } : {}) },
    body: Buffer.from(text),
  };
}

async function cached(key: string, ttlMs: number, fetchAnswer: () => Promise<HttpAnswer>): Promise<HttpAnswer> {
  const hit = cache.get(key);
  if (hit && hit.until > Date.now()) return hit.answer;
  const answer = await fetchAnswer();
  if (answer.status === 200) {
    if (cache.size >= CACHE_MAX) cache.delete(cache.keys().next().value!);
    cache.set(key, { until: Date.now() + ttlMs, answer });
  }
  return answer;
}

export async function answerRaOcsp(mode: RaMode, req: OcspHttpRequest, timeoutMs: number): Promise<HttpAnswer> {
  if (mode.kind === "pointer" || !mode.ocspUrl) return pointer(mode, "ocsp");
  const url = mode.ocspUrl;
  let der: Buffer | undefined;
  if (req.method === "POST") der = req.body;
  else if (req.method === "GET" && req.path)
    der = Buffer.from(decodeURIComponent(req.path).replace(/-/g, "+").replace(/_/g, "/"), "base64");
  if (!der?.length || der.length > OCSP_MAX_REQUEST_BYTES)
    return {
      status: 200,
      headers: { "content-type": "application/ocsp-response" },
      body: ocspError(OCSP_STATUS.malformedRequest),
    };
  const key = `ocsp:${createHash("sha256").update(der).digest("hex")}`;
  return cached(key, mode.cacheSeconds * 1000, async (): Promise<HttpAnswer> => {
    try {
      const r = await upstreamFetch(url, {
        method: "POST",
        body: der,
        contentType: "application/ocsp-request",
        timeoutMs,
      });
      if (r.status === 200 && r.body[0] === 0x30)
        return {
          status: 200,
          headers: { "content-type": "application/ocsp-response", "cache-control": `max-age=${mode.cacheSeconds}` },
          body: r.body,
        };
    } catch {
      // fall through: the upstream is down or slow
    }
    return {
      status: 200,
      headers: { "content-type": "application/ocsp-response", "cache-control": "no-cache" },
      body: ocspError(OCSP_STATUS.tryLater),
    };
  });
}

export async function answerRaCrl(mode: RaMode, timeoutMs: number): Promise<HttpAnswer> {
  if (mode.kind === "pointer" || !mode.crlUrl) return pointer(mode, "crl");
  const url = mode.crlUrl;
  return cached(`crl:${url}`, mode.cacheSeconds * 1000, async (): Promise<HttpAnswer> => {
    try {
      const r = await upstreamFetch(url, { method: "GET", timeoutMs });
      if (r.status === 200)
        return {
          status: 200,
          headers: { "content-type": "application/pkix-crl", "cache-control": `public, max-age=${mode.cacheSeconds}` },
          body: r.body,
        };
    } catch {
      // fall through
    }
    return {
      status: 503,
      headers: { "content-type": "text/plain", "retry-after": "30" },
      body: Buffer.from("the certificate authority's CRL is not reachable right now\n"),
    };
  });
}
