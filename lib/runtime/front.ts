import { createReadStream, statSync } from "node:fs";
import path from "node:path";
import type { IncomingMessage, ServerResponse } from "node:http";
import { systemClock, type Clock } from "../clock";
import { getDb, type Db } from "../db";
import { log } from "../log";
import { PEER_HEADER } from "../http/request";
import { assistantPackage } from "../content/downloads";
import { getCa, type Ca } from "../pki/ca";
import { servedCrl } from "../pki/crl";
import { caCertAnswer, crlAnswer, notModified, type HttpAnswer } from "../pki/http";
import { answerOcspHttp } from "../pki/ocsp-http";
import { OCSP_MAX_REQUEST_BYTES } from "../pki/ocsp";
import { metrics } from "../metrics";
import { API_CONCURRENCY_DEFAULT, createGate, takesTurns } from "./gate";
import { createDirect, directMatcher, type DirectRoutes } from "./direct";
import { readBody } from "./read-body";
import { createStaticAssets } from "./static-assets";
import { refusal, refusalAnswer } from "../http/guard";

/**
 * The portal's node:http front (scripts/portal-server.ts runs it in every portal process).
 *
 * It answers the protocol endpoints itself, from what is already signed and cached in the process: OCSP
 * (POST /ocsp, GET /ocsp/<base64>), the CRL (/crl/issuing.crl), the CA certificates (/ca/root.cer,
 * /ca/issuing.cer) and the certificate assistant's files (/downloads/assistant/<file>), with HTTP caching
 * headers and conditional GET. Relying parties check every signature against /ocsp: through Next's request
 * handler (routing, proxy.ts, the App Router's Request/Response adaptation) an answer cost ~2 ms of CPU, here it
 * costs a map lookup. Next's build files under /_next/static are answered here from memory, compressed once
 * (lib/runtime/static-assets.ts; Next would gzip them again on every request). The holder's renewal API is answered
 * here too, by the same route handlers without Next's pipeline (`direct`: lib/runtime/direct.ts). Every other request
 * goes to Next unchanged, except for the peer header below, and the App Router's navigations meet proxy.ts's guard
 * here (lib/http/guard.ts), as they skip the proxy; API requests take turns on the way (lib/runtime/gate.ts: a few
 * at a time per process, so a burst is not answered all late).
 *
 * The Next routes of the same paths stay (next dev, and RA mode where /ocsp, /crl and /ca answer from upstream:
 * `pki: false`); both answer alike through lib/pki/http.ts and lib/pki/ocsp-http.ts.
 */

/** What every answer of the front carries (proxy.ts and next.config.ts give Next's answers the same). */
const SECURITY_HEADERS: Record<string, string> = {
  "x-content-type-options": "nosniff",
  "x-frame-options": "DENY",
  "referrer-policy": "strict-origin-when-cross-origin",
};
const SECURITY_FLAT = Object.entries(SECURITY_HEADERS).flat();

export type NextHandler = (req: IncomingMessage, res: ServerResponse) => unknown;

export interface FrontOptions {
  /** Next's request handler (`next(...).getRequestHandler()`), for everything the front does not answer */
  next: NextHandler;
  /**
   * answer /ocsp, /crl and /ca from the built-in CA (default true); false in RA mode (lib/pki/issuers), where
   * Next's routes answer them from the upstream CA
   */
  pki?: boolean;
  /** where dist/assistant and .next/static are (default: the working directory) */
  root?: string;
  db?: () => Promise<Db>;
  ca?: () => Promise<Ca>;
  clock?: Clock;
  /**
   * API requests this process begins at once, the rest wait their turn (lib/runtime/gate.ts; PORTAL_API_CONCURRENCY,
   * default API_CONCURRENCY_DEFAULT); 0: no limit
   */
  apiConcurrency?: number;
  /**
   * API routes the front answers itself by calling their handlers (app/api/front-routes.ts under `npm start`;
   * PORTAL_API_DIRECT=0: none, Next answers them); exact paths
   */
  direct?: DirectRoutes;
}

// Each answer's headers as node:http takes them fastest (one flat list with the security headers and the length),
// kept with the headers object: published objects (lib/pki/http.ts) answer with the same objects every time.
const flatHeaders = new WeakMap<Record<string, string>, { length: number; flat: string[] }>();

function send(res: ServerResponse, a: HttpAnswer, head: boolean): void {
  const length = a.status === 304 ? -1 : a.body.length;
  let h = flatHeaders.get(a.headers);
  if (!h || h.length !== length) {
    const flat = Object.entries({ ...SECURITY_HEADERS, ...a.headers }).flat();
    if (length >= 0) flat.push("content-length", String(length));
    flatHeaders.set(a.headers, (h = { length, flat }));
  }
  res.writeHead(a.status, h.flat);
  res.end(head || a.status === 304 ? undefined : a.body);
}

const text = (status: number, body: string, extra: Record<string, string> = {}): HttpAnswer => ({
  status,
  headers: { "content-type": "text/plain; charset=utf-8", "cache-control": "no-store", ...extra },
  body: Buffer.from(body),
});

const METHOD_NOT_ALLOWED = text(405, "method not allowed", { allow: "GET, HEAD" });

export function createFront(opts: FrontOptions): (req: IncomingMessage, res: ServerResponse) => void {
  const limit = opts.apiConcurrency ?? API_CONCURRENCY_DEFAULT;
  const gate = limit > 0 ? createGate(limit, (ms) => metrics.apiQueueWait.observe(ms / 1000)) : undefined;
  const pki = opts.pki ?? true;
  const db = opts.db ?? getDb;
  const loadCa = opts.ca ?? getCa;
  const clock = opts.clock ?? systemClock;
  const root = opts.root ?? process.cwd();
  const direct = opts.direct;
  const serveDirect = direct && createDirect(direct);
  const directRoute = direct && directMatcher(direct);
  const statics = createStaticAssets(root);
  // the CA once loaded (a CA change restarts the portal): the CRL and certificate paths skip a promise per request
  let resolvedCa: Ca | undefined;
  const ca = async () => (resolvedCa = await loadCa());

  async function ocsp(req: IncomingMessage, res: ServerResponse, pathname: string): Promise<void> {
    const deps = { db: await db(), ca: await ca(), clock };
    if (req.method === "POST") {
      const body = await readBody(req, OCSP_MAX_REQUEST_BYTES);
      // too large: answered without reading the rest, and the connection is not reused
      if (!body) res.setHeader("connection", "close");
      const a = await answerOcspHttp(deps, {
        method: "POST",
        body: body ?? Buffer.alloc(OCSP_MAX_REQUEST_BYTES + 1),
        contentType: req.headers["content-type"],
      });
      return send(res, a, false);
    }
    const a = await answerOcspHttp(deps, {
      method: req.method ?? "GET",
      path: pathname.slice("/ocsp".length).replace(/^\//, ""),
      ifNoneMatch: req.headers["if-none-match"],
      ifModifiedSince: req.headers["if-modified-since"],
    });
    send(res, a, false);
  }

  async function crl(req: IncomingMessage, res: ServerResponse): Promise<void> {
    const c = resolvedCa ?? (await ca());
    const served = servedCrl(db, { ca: c, clock });
    const current = served instanceof Promise ? await served : served;
    send(
      res,
      crlAnswer(
        { ifNoneMatch: req.headers["if-none-match"], ifModifiedSince: req.headers["if-modified-since"] },
        current,
      ),
      req.method === "HEAD",
    );
  }

  async function caCert(req: IncomingMessage, res: ServerResponse, file: "root.cer" | "issuing.cer"): Promise<void> {
    const c = resolvedCa ?? (await ca());
    const der = file === "root.cer" ? c.rootCert : c.issuingCert;
    send(
      res,
      caCertAnswer(
        { ifNoneMatch: req.headers["if-none-match"], ifModifiedSince: req.headers["if-modified-since"] },
        der,
        file,
      ),
      req.method === "HEAD",
    );
  }

  /** A file the manifest of dist/assistant lists, streamed (the installer is tens of MB); ETag is its SHA-256. */
  function assistantFile(req: IncomingMessage, res: ServerResponse, name: string): void {
    const pkg = assistantPackage(root);
    const file = pkg && [pkg.installer, ...pkg.files].find((f) => f.name === name);
    if (!file) return send(res, text(404, "Not found"), req.method === "HEAD");
    const full = path.join(root, "dist", "assistant", file.name);
    const st = statSync(full);
    const etag = `"${file.sha256}"`;
    const headers = {
      "content-type": file.name.endsWith(".exe")
        ? "application/vnd.microsoft.portable-executable"
        : "application/octet-stream",
      "content-disposition": `attachment; filename="${file.name}"`,
      "cache-control": "no-cache",
    };
    const lastModified = st.mtime.toUTCString();
    const cond = { ifNoneMatch: req.headers["if-none-match"], ifModifiedSince: req.headers["if-modified-since"] };
    if (notModified(cond, etag, st.mtime)) {
      res.writeHead(304, { ...SECURITY_HEADERS, etag, "last-modified": lastModified, "cache-control": "no-cache" });
      return void res.end();
    }
    res.writeHead(200, {
      ...SECURITY_HEADERS,
      ...headers,
      etag,
      "last-modified": lastModified,
      "content-length": st.size,
    });
    if (req.method === "HEAD") return void res.end();
    createReadStream(full)
      .on("error", () => res.destroy())
      .pipe(res);
  }

  function protocol(req: IncomingMessage, res: ServerResponse, pathname: string): Promise<void> | void | false {
    const getLike = req.method === "GET" || req.method === "HEAD";
    if (pki && (pathname === "/ocsp" || pathname.startsWith("/ocsp/"))) return ocsp(req, res, pathname);
    if (pki && pathname === "/crl/issuing.crl") return getLike ? crl(req, res) : send(res, METHOD_NOT_ALLOWED, false);
    if (pki && (pathname === "/ca/root.cer" || pathname === "/ca/issuing.cer"))
      return getLike ? caCert(req, res, pathname.slice(4) as "root.cer") : send(res, METHOD_NOT_ALLOWED, false);
    if (pathname.startsWith("/downloads/assistant/")) {
      const name = pathname.slice("/downloads/assistant/".length);
      return getLike ? assistantFile(req, res, name) : send(res, METHOD_NOT_ALLOWED, false);
    }
    return false;
  }

  return (req, res) => {
    const url = req.url ?? "/";
    const q = url.indexOf("?");
    const pathname = q < 0 ? url : url.slice(0, q);
    if (statics.answer(req, res, pathname, SECURITY_FLAT)) return;
    let answered: Promise<void> | void | false;
    try {
      answered = protocol(req, res, pathname);
    } catch (e) {
      answered = Promise.reject(e);
    }
    if (answered !== false) {
      if (answered)
        answered.catch((e: unknown) => {
          log.error({ err: e, path: pathname }, "front: cannot answer");
          if (!res.headersSent) send(res, text(503, "temporarily unavailable", { "retry-after": "5" }), false);
          else res.destroy();
        });
      return;
    }
    // the App Router's own requests skip proxy.ts (its matcher: they carry no scripts, so no nonce CSP), not its guard
    if (req.headers.rsc !== undefined) {
      const r = refusal({
        pathname,
        search: q < 0 ? "" : url.slice(q),
        method: req.method ?? "GET",
        host: req.headers.host,
      });
      if (r) {
        const a = refusalAnswer(r);
        return send(res, { ...a, body: Buffer.from(a.body) }, req.method === "HEAD");
      }
    }
    // the contract with clientIp (lib/http/request.ts): the peer is the socket's address, never the client's word
    delete req.headers[PEER_HEADER];
    const peer = req.socket.remoteAddress;
    if (peer) req.headers[PEER_HEADER] = peer;
    const toNext = () => void opts.next(req, res);
    const match = directRoute?.(pathname);
    const go =
      serveDirect && match
        ? () =>
            void serveDirect(req, res, match, toNext).catch((e: unknown) => {
              log.error({ err: e, path: pathname }, "front: cannot answer");
              res.destroy();
            })
        : toNext;
    if (gate && takesTurns(req.method, pathname, q < 0 ? "" : url.slice(q))) return gate.admit(res, go);
    go();
  };
}
