import { randomBytes } from "node:crypto";
import http from "node:http";
import zlib from "node:zlib";

/**
 * A small HTTP client for simulated holders: one cookie jar per client, the portal's CSRF and idempotency
 * headers, JSON in and out, and a keep-alive agent shared by all clients of a run.
 */

export const agent = new http.Agent({ keepAlive: true, maxSockets: 256 });

/** A request of some client that has not answered yet: what a bench prints when its holders stop making progress. */
export interface PendingRequest {
  method: string;
  path: string;
  /** performance.now() when it was handed to the agent */
  since: number;
  /** false while it waits in the agent's queue for a connection */
  connected: boolean;
}

/** The requests in flight of the clients that share it, and when the last one was sent and answered (performance.now()). */
export class Traffic {
  readonly pending = new Set<PendingRequest>();
  lastSentAt = 0;
  lastAnswerAt = 0;
  answered = 0;
}

export interface HttpResult<T = unknown> {
  status: number;
  headers: http.IncomingHttpHeaders;
  body: T;
  text: string;
}

class HttpError extends Error {
  constructor(
    readonly method: string,
    readonly path: string,
    readonly status: number,
    readonly text: string,
  ) {
    super(`${method} ${path} → ${status} ${text.slice(0, 160)}`);
    this.name = "HttpError";
  }
}

export interface ClientOptions {
  /** e.g. http://127.0.0.1:4123 (also sent as Origin) */
  base: string;
  /** a distinct client address per simulated holder (the portal reads it with TRUST_PROXY=1) */
  forwardedFor?: string;
  /** the source address to connect from (e.g. 127.0.0.42: a distinct real peer per holder, as a proxy sees it) */
  localAddress?: string;
  timeoutMs?: number;
  /**
   * Answers a browser would send again (network error, 502, 503, 504): sent again this many times with the same
   * headers — the same Idempotency-Key and cookies — `retryDelayMs` apart. Off by default.
   */
  retries?: number;
  retryDelayMs?: number;
  /** counts this client's requests (a bench's stall watch) */
  traffic?: Traffic;
  /** this client's own connections, as a browser has (default: the shared `agent`) */
  agent?: http.Agent;
}

export interface RequestOptions {
  json?: unknown;
  form?: Record<string, string>;
  /** send a fresh Idempotency-Key (the same one on the one automatic retry) */
  idempotent?: boolean;
  headers?: Record<string, string>;
  /**
   * the body is received but not read (a page's scripts: the browser's engine runs them, not the sim): left as it
   * came, content coding and all, and `text` is empty. Spares a load generator the decompression.
   */
  unread?: boolean;
}

class StaleSocketError extends Error {}

/** The body as a browser reads it: content codings undone. */
export function decoded(coding: string | undefined, body: Buffer): Buffer {
  if (coding === "br") return zlib.brotliDecompressSync(body);
  if (coding === "gzip") return zlib.gunzipSync(body);
  if (coding === "deflate") return zlib.inflateSync(body);
  return body;
}

export class HolderClient {
  private readonly cookies = new Map<string, string>();
  csrfToken: string | undefined;

  constructor(readonly opts: ClientOptions) {}

  cookie(name: string): string | undefined {
    return this.cookies.get(name);
  }

  private storeCookies(headers: http.IncomingHttpHeaders): void {
    for (const c of headers["set-cookie"] ?? []) {
      const [pair, ...attrs] = c.split(";");
      const i = pair.indexOf("=");
      const name = pair.slice(0, i).trim();
      const value = pair.slice(i + 1).trim();
      const expired = attrs.some((a) => /^\s*max-age=0\s*$/i.test(a));
      if (expired || value === "") this.cookies.delete(name);
      else this.cookies.set(name, value);
    }
  }

  /**
   * Sends one request; resolves with any status (callers decide what is an error). A kept-alive connection the
   * server closed just as it was reused is retried once on a new one, as browsers do (Node's documented
   * `reusedSocket` pattern); any other network error is thrown.
   */
  async request<T = unknown>(method: string, path: string, opts: RequestOptions = {}): Promise<HttpResult<T>> {
    const headers = this.headersFor(method, opts);
    for (let attempt = 0; ; attempt++) {
      const last = attempt >= (this.opts.retries ?? 0);
      try {
        const r = await this.sendOnce<T>(method, path, headers, opts);
        if (last || ![502, 503, 504].includes(r.status)) return r;
        this.retried++;
      } catch (e) {
        if (last) throw e;
        this.retried++;
      }
      await new Promise((r) => setTimeout(r, this.opts.retryDelayMs ?? 500));
    }
  }

  /** how many requests were sent again (ClientOptions.retries) */
  retried = 0;

  private async sendOnce<T>(
    method: string,
    path: string,
    headers: Record<string, string>,
    opts: RequestOptions,
  ): Promise<HttpResult<T>> {
    try {
      return await this.send<T>(method, path, headers, opts);
    } catch (e) {
      if (!(e instanceof StaleSocketError)) throw e;
      return this.send<T>(method, path, headers, opts);
    }
  }

  private headersFor(method: string, opts: RequestOptions): Record<string, string> {
    const headers: Record<string, string> = { accept: "application/json", ...opts.headers };
    if (opts.json !== undefined) headers["content-type"] = "application/json";
    else if (opts.form) headers["content-type"] = "application/x-www-form-urlencoded";
    if (method !== "GET" && method !== "HEAD") headers.origin = this.opts.base;
    if (this.csrfToken) headers["x-csrf-token"] = this.csrfToken;
    if (opts.idempotent) headers["idempotency-key"] = randomBytes(12).toString("base64url");
    if (this.opts.forwardedFor) headers["x-forwarded-for"] = this.opts.forwardedFor;
    return headers;
  }

  private send<T>(
    method: string,
    path: string,
    baseHeaders: Record<string, string>,
    opts: RequestOptions,
  ): Promise<HttpResult<T>> {
    const url = new URL(path, this.opts.base);
    const headers = { ...baseHeaders };
    let payload: Buffer | undefined;
    if (opts.json !== undefined) payload = Buffer.from(JSON.stringify(opts.json));
    else if (opts.form) payload = Buffer.from(new URLSearchParams(opts.form).toString());
    if (payload) headers["content-length"] = String(payload.length);
    if (this.cookies.size) headers.cookie = [...this.cookies].map(([k, v]) => `${k}=${v}`).join("; ");

    const traffic = this.opts.traffic;
    const pending: PendingRequest = { method, path, since: performance.now(), connected: false };
    traffic?.pending.add(pending);
    if (traffic) traffic.lastSentAt = pending.since;
    const settled = () => {
      if (!traffic) return;
      traffic.pending.delete(pending);
      traffic.lastAnswerAt = performance.now();
      traffic.answered++;
    };
    const timeoutMs = this.opts.timeoutMs ?? 60_000;
    let deadline: NodeJS.Timeout | undefined;
    return new Promise<HttpResult<T>>((resolve, reject) => {
      // the whole request, from the moment it is handed to the agent: the socket's idle timeout below starts only
      // once a connection is assigned, and a request queued in the agent or answered byte by byte would wait forever
      deadline = setTimeout(() => {
        const e = new Error(
          `no answer to ${method} ${path} within ${2 * timeoutMs} ms (${pending.connected ? "sent" : "still waiting for a connection"})`,
        );
        req.destroy(e);
        reject(e);
      }, 2 * timeoutMs);
      const req = http.request(
        url,
        { method, headers, agent: this.opts.agent ?? agent, localAddress: this.opts.localAddress },
        (res) => {
          const chunks: Buffer[] = [];
          res.on("data", (c: Buffer) => chunks.push(c));
          res.on("end", () => {
            this.storeCookies(res.headers);
            const text = opts.unread
              ? ""
              : decoded(res.headers["content-encoding"], Buffer.concat(chunks)).toString("utf8");
            let body: unknown = text;
            if ((res.headers["content-type"] ?? "").includes("json")) {
              try {
                body = JSON.parse(text);
              } catch {
                body = text;
              }
            }
            resolve({ status: res.statusCode ?? 0, headers: res.headers, body: body as T, text });
          });
          res.on("error", reject);
        },
      );
      req.once("socket", () => (pending.connected = true));
      req.setTimeout(timeoutMs, () => req.destroy(new Error(`timeout ${method} ${path}`)));
      req.on("error", (e: NodeJS.ErrnoException) =>
        reject(req.reusedSocket && e.code === "ECONNRESET" ? new StaleSocketError() : e),
      );
      if (payload) req.write(payload);
      req.end();
    }).finally(() => {
      clearTimeout(deadline);
      settled();
    });
  }

  /** Like request, but a status outside 2xx/3xx is thrown as HttpError. */
  async ok<T = unknown>(method: string, path: string, opts: RequestOptions = {}): Promise<T> {
    const r = await this.request<T>(method, path, opts);
    if (r.status >= 400) throw new HttpError(method, path, r.status, r.text);
    return r.body;
  }
}
