import type { IncomingMessage, ServerResponse } from "node:http";
import { log } from "../log";
import { DomainError, toErrorResponse } from "../errors";
import { requestLocale } from "../http/request";
import { EVERY_ANSWER_HEADERS, HTTPS_ANSWER_HEADERS } from "../http/security-headers";
import { readBody } from "./read-body";
import { BODY_TEXT, json } from "../http/json";

/**
 * The holder API answered by the node:http front itself (lib/runtime/front.ts), without Next's request pipeline.
 *
 * The API's route handlers are plain functions from a Web `Request` to a `Response` (lib/http/route.ts does the
 * rest: session, CSRF, zod, idempotency, errors). Next adds routing, its own Request/Response adaptation and
 * instrumentation around each call: ~3 ms of CPU a request on a saturated portal here, ~7 ms one at a time
 * (bench/README.md, sixteenth session), on the ~13 requests of every renewal. The front calls the same handlers, from the same modules, with a `Request` made from the socket's
 * request and the headers next.config.ts gives Next's answers (lib/http/security-headers.ts).
 *
 * The paths answered here are listed in app/api/front-routes.ts, as Next names them: exact, or with whole dynamic
 * segments (`/pay/[tradeNo]/confirm`), whose values reach the handler as Next passes them (`{ params }`, decoded). A
 * method the module does not export, and every other path, goes to Next as before, which answers 405, OPTIONS and
 * redirects.
 * Module state the two copies of the code would otherwise each keep (the database, the CA, metrics, the held
 * payment requests, PKCS#11 modules) is on globalThis, as it already was for the protocol endpoints.
 */

type Method = "GET" | "HEAD" | "POST" | "PUT" | "PATCH" | "DELETE";
type Params = Record<string, string>;
export type DirectHandler = (req: Request, ctx: { params: Promise<Params> }) => Response | Promise<Response>;
export type RouteModule = Partial<Record<Method, unknown>>;
/** Path as Next names it (exact, or with `[name]` segments) → the route module (loaded on its first request). */
export type DirectRoutes = Readonly<Record<string, () => Promise<RouteModule>>>;

/** A request's path matched to a listed route: the route's name (its key) and its segments' values. */
export interface DirectMatch {
  route: string;
  params: Params;
}

const DYNAMIC = /^\[([A-Za-z][A-Za-z0-9]*)\]$/;

/**
 * The matcher for `routes`: exact paths by a map lookup, the few with dynamic segments segment by segment. A
 * dynamic segment takes one whole, non-empty segment (no `/`); a value that does not decode is no match (Next
 * answers it).
 */
export function directMatcher(routes: DirectRoutes): (pathname: string) => DirectMatch | undefined {
  const exact = new Set<string>();
  const patterns: { route: string; segments: string[] }[] = [];
  for (const route of Object.keys(routes)) {
    const segments = route.split("/");
    if (segments.some((s) => DYNAMIC.test(s))) patterns.push({ route, segments });
    else exact.add(route);
  }
  return (pathname) => {
    if (exact.has(pathname)) return { route: pathname, params: {} };
    if (!patterns.length) return undefined;
    const given = pathname.split("/");
    for (const { route, segments } of patterns) {
      if (segments.length !== given.length) continue;
      const params: Params = {};
      let i = 0;
      for (; i < segments.length; i++) {
        const name = DYNAMIC.exec(segments[i])?.[1];
        if (!name) {
          if (segments[i] !== given[i]) break;
          continue;
        }
        if (!given[i]) break;
        try {
          params[name] = decodeURIComponent(given[i]);
        } catch {
          break;
        }
      }
      if (i === segments.length) return { route, params };
    }
    return undefined;
  };
}

/** The largest body the front reads for a handler; every API route limits its own body to far less (64 KiB). */
export const DIRECT_MAX_BODY = 1024 * 1024;

/**
 * The request's headers as the front left them (req.headers, not the raw list: the front replaced the client's copy
 * of the peer header with the socket's address).
 */
function toHeaders(req: IncomingMessage): Headers {
  const headers = new Headers();
  for (const [name, value] of Object.entries(req.headers)) {
    // HTTP/2 pseudo-headers are not the handler's business
    if (value === undefined || name.startsWith(":")) continue;
    try {
      for (const v of Array.isArray(value) ? value : [value]) headers.append(name, v);
    } catch {
      // a header value undici does not take (a control character): left out, as it would be of a fetch
    }
  }
  return headers;
}

/** The answer's headers as node:http takes them: every Set-Cookie on its own, then what every answer carries. */
function answerHeaders(res: Response, https: boolean): Record<string, string | string[]> {
  const out: Record<string, string | string[]> = {};
  res.headers.forEach((value, key) => {
    if (key !== "set-cookie") out[key] = value;
  });
  const cookies = res.headers.getSetCookie();
  if (cookies.length) out["set-cookie"] = cookies;
  for (const { key, value } of EVERY_ANSWER_HEADERS) out[key] ??= value;
  if (https) for (const { key, value } of HTTPS_ANSWER_HEADERS) out[key] ??= value;
  return out;
}

/**
 * The Request a handler gets from the front: the body the front has read already, given back as it is asked for
 * (json, text, arrayBuffer…) without the Web stream undici builds around a body and reads back (~60 µs a request
 * measured alone, more under load), and the front's own abort signal.
 */
class FrontRequest extends Request {
  #bytes: Uint8Array<ArrayBuffer> | null;
  #used = false;
  #signal: AbortSignal;

  constructor(
    url: string,
    init: { method: string; headers: Headers },
    bytes: Uint8Array<ArrayBuffer> | null,
    signal: AbortSignal,
  ) {
    super(url, init);
    this.#bytes = bytes;
    this.#signal = signal;
  }

  override get signal(): AbortSignal {
    return this.#signal;
  }

  override get bodyUsed(): boolean {
    return this.#used;
  }

  /** A stream of the body; asking for it counts as reading it (a handler that wants the stream reads it). */
  override get body(): ReadableStream<Uint8Array<ArrayBuffer>> | null {
    if (this.#bytes === null) return null;
    const bytes = this.#take();
    return new ReadableStream({
      start(c) {
        c.enqueue(bytes);
        c.close();
      },
    });
  }

  #take(): Uint8Array<ArrayBuffer> {
    if (this.#used) throw new TypeError("Body is unusable: Body has already been read");
    this.#used = true;
    return this.#bytes ?? new Uint8Array(0);
  }

  override async arrayBuffer(): Promise<ArrayBuffer> {
    const b = this.#take();
    return b.buffer.slice(b.byteOffset, b.byteOffset + b.byteLength);
  }

  override async bytes(): Promise<Uint8Array<ArrayBuffer>> {
    return this.#take().slice();
  }

  override async text(): Promise<string> {
    return new TextDecoder().decode(this.#take());
  }

  override async json(): Promise<unknown> {
    return JSON.parse(await this.text());
  }

  override async blob(): Promise<Blob> {
    return new Blob([this.#take()], { type: this.headers.get("content-type") ?? "" });
  }

  override async formData(): Promise<FormData> {
    const type = this.headers.get("content-type");
    return new Response(this.#take(), type ? { headers: { "content-type": type } } : {}).formData();
  }

  override clone(): Request {
    if (this.#used) throw new TypeError("Request.clone: Body has already been consumed");
    return new FrontRequest(
      this.url,
      { method: this.method, headers: new Headers(this.headers) },
      this.#bytes,
      this.#signal,
    );
  }
}

/** The answer's bytes: the text `json` (lib/http/json.ts) made when it made it, else read from the Response. */
async function answerBytes(res: Response): Promise<Buffer | undefined> {
  const text = (res as Response & { [BODY_TEXT]?: string })[BODY_TEXT];
  if (typeof text === "string" && !res.bodyUsed) return Buffer.from(text);
  return res.body === null ? undefined : Buffer.from(await res.arrayBuffer());
}

function handlerOf(mod: RouteModule, method: string): DirectHandler | undefined {
  const h = mod[method as Method];
  return typeof h === "function" ? (h as DirectHandler) : undefined;
}

/**
 * The front's part: `serve(req, res, match, next)` answers the request when `routes` has its path and its module
 * exports its method, and hands it to `next` otherwise. The request's signal aborts when the client leaves before
 * the answer (the payment page's held status request stops waiting then).
 */
export function createDirect(
  routes: DirectRoutes,
): (req: IncomingMessage, res: ServerResponse, match: DirectMatch, next: () => void) => Promise<void> {
  const loaded = new Map<string, Promise<RouteModule>>();
  const moduleOf = (route: string) => {
    let m = loaded.get(route);
    if (!m) {
      m = routes[route]();
      // a module that failed to load is tried again on the next request (and this one goes to Next)
      m.catch(() => loaded.delete(route));
      loaded.set(route, m);
    }
    return m;
  };

  return async (req, res, { route, params }, next) => {
    const method = (req.method ?? "GET").toUpperCase();
    let handler: DirectHandler | undefined;
    try {
      handler = handlerOf(await moduleOf(route), method);
    } catch (e) {
      log.error({ err: e, path: route }, "front: cannot load the route module, Next answers");
    }
    if (!handler) return next();

    const aborter = new AbortController();
    res.on("close", () => {
      if (!res.writableFinished) aborter.abort();
    });
    const https = req.headers["x-forwarded-proto"] === "https";
    let answer: Response;
    try {
      const hasBody = method !== "GET" && method !== "HEAD";
      const body = hasBody ? await readBody(req, DIRECT_MAX_BODY) : undefined;
      if (hasBody && !body) {
        // answered without reading the rest: the connection is not reused
        res.setHeader("connection", "close");
        throw new DomainError("PAYLOAD_TOO_LARGE");
      }
      const request = new FrontRequest(
        new URL(req.url ?? "/", "http://localhost").href,
        { method, headers: toHeaders(req) },
        // a Buffer's memory is an ArrayBuffer (node:http never hands out shared memory)
        body?.length ? new Uint8Array(body.buffer as ArrayBuffer, body.byteOffset, body.byteLength) : null,
        aborter.signal,
      );
      answer = await handler(request, { params: Promise.resolve(params) });
    } catch (e) {
      // the client left (its body cut off, or the handler stopped on the signal): nobody to answer
      if (aborter.signal.aborted) return;
      const { status, body } = toErrorResponse(
        e,
        requestLocale(new Request("http://localhost", { headers: toHeaders(req) })),
      );
      if (status >= 500) log.error({ err: e, path: route }, "front: request failed");
      answer = json(body, status);
    }
    if (res.destroyed) return;
    const bytes = await answerBytes(answer);
    const headers = answerHeaders(answer, https);
    if (bytes) headers["content-length"] = String(bytes.length);
    res.writeHead(answer.status, headers);
    res.end(method === "HEAD" ? undefined : bytes);
  };
}
