import { randomUUID } from "node:crypto";
import type { z } from "zod";
import type { Session, SessionKind } from "../generated/prisma/client";
import { getDb, type Db } from "../db";
import { getConfig, type Config } from "../config";
import { systemClock, type Clock } from "../clock";
import { log, type Logger } from "../log";
import { metrics, routePattern } from "../metrics";
import type { Actor } from "../audit";
import { DomainError, toErrorResponse, type Locale } from "../errors";
import { getMessages } from "../messages";
import { getCa, type Ca } from "../pki/ca";
import { alipayFor, type Alipay } from "../payments/alipay/client";
import { COOKIE, CSRF_HEADER, csrfMatches, loadSession } from "../session";
import { IDEMPOTENCY_HEADER, withIdempotency } from "./idempotency";
import { json } from "./json";
import {
  clientIp,
  isSameOrigin,
  readCookie,
  requestLocale,
  saneInput,
  serializeCookie,
  type CookieOptions,
} from "./request";

export { json };

/**
 * The one wrapper every API route uses: request id, locale, body limit and zod validation, same-origin +
 * session CSRF check for state-changing methods, optional session, optional idempotency, and the single
 * mapping of errors to `{ error: { code, message, details } }` in the caller's language.
 */

export interface RouteContext<B, Q> {
  req: Request;
  requestId: string;
  locale: Locale;
  body: B;
  query: Q;
  params: Record<string, string | string[]>;
  session: Session | null;
  actor: Actor;
  db: Db;
  /** the process CA, loaded on first use (routes that sign nothing never load it) */
  ca: () => Promise<Ca>;
  /** the Alipay client made from `config`, built on first use and kept while the configuration stays the same */
  alipay: () => Alipay;
  clock: Clock;
  config: Config;
  log: Logger;
  setCookie(name: string, value: string, opts?: Partial<CookieOptions>): void;
}

export interface RouteOptions<B, Q> {
  body?: z.ZodType<B>;
  query?: z.ZodType<Q>;
  /** which session cookie to read */
  session?: SessionKind;
  /** refuse with UNAUTHENTICATED when the session is missing */
  requireSession?: boolean;
  /** same-origin + CSRF header check; on by default for every method but GET/HEAD */
  csrf?: boolean;
  /** holder-side POSTs: an Idempotency-Key header is required and repeats return the first result */
  idempotency?: string;
  maxBodyBytes?: number;
  /** the raw text body is wanted (form posts such as Alipay's notify) */
  rawBody?: boolean;
}

type Handler<B, Q> = (ctx: RouteContext<B, Q>) => Promise<unknown>;
type NextCtx = { params: Promise<Record<string, string | string[]>> };

const DEFAULT_MAX_BODY = 64 * 1024;

async function readBody(req: Request, max: number): Promise<string> {
  const declared = Number(req.headers.get("content-length") ?? "0");
  if (declared > max) throw new DomainError("PAYLOAD_TOO_LARGE");
  const buf = await req.arrayBuffer();
  if (buf.byteLength > max) throw new DomainError("PAYLOAD_TOO_LARGE");
  return new TextDecoder().decode(buf);
}

function fieldErrors(error: z.ZodError, locale: Locale): Record<string, string> {
  const texts = getMessages(locale).validation;
  const out: Record<string, string> = {};
  for (const issue of error.issues) {
    const field = issue.path.join(".") || "_";
    out[field] ??= texts[issue.message] ?? (issue.code === "invalid_type" ? texts.required : texts.invalid);
  }
  return out;
}

export function parseWith<T>(schema: z.ZodType<T>, input: unknown, locale: Locale): T {
  const r = schema.safeParse(input);
  if (!r.success) throw new DomainError("VALIDATION_FAILED", { fields: fieldErrors(r.error, locale) });
  return r.data;
}

export function route<B = undefined, Q = undefined>(opts: RouteOptions<B, Q>, handler: Handler<B, Q>) {
  const handle = async (req: Request, nextCtx?: NextCtx): Promise<Response> => {
    const requestId = req.headers.get("x-request-id")?.slice(0, 64) || randomUUID();
    const locale = requestLocale(req);
    const rlog = log.child({ requestId });
    const cookies: string[] = [];
    try {
      const config = getConfig();
      const db = await getDb();
      const clock = systemClock;
      const method = req.method.toUpperCase();
      const mutating = method !== "GET" && method !== "HEAD";
      if ((opts.csrf ?? mutating) && !isSameOrigin(req, config.publicOrigin, config.DEMO_MODE))
        throw new DomainError("CSRF_FAILED");

      const session = opts.session
        ? await loadSession(db, opts.session, readCookie(req, COOKIE[opts.session]), clock)
        : null;
      if (opts.requireSession && !session) throw new DomainError("UNAUTHENTICATED");
      if (session && mutating && (opts.csrf ?? true) && !csrfMatches(session, req.headers.get(CSRF_HEADER)))
        throw new DomainError("CSRF_FAILED");

      let rawText: string | undefined;
      let body = undefined as B;
      if (opts.body || opts.rawBody) {
        rawText = await readBody(req, opts.maxBodyBytes ?? DEFAULT_MAX_BODY);
        if (opts.body) {
          let parsed: unknown;
          try {
            parsed = rawText === "" ? {} : JSON.parse(rawText);
          } catch {
            throw new DomainError("BAD_REQUEST");
          }
          if (!saneInput(parsed)) throw new DomainError("BAD_REQUEST");
          body = parseWith(opts.body, parsed, locale);
        }
      }
      const search = Object.fromEntries(new URL(req.url).searchParams);
      const params = nextCtx ? await nextCtx.params : {};
      if (!saneInput(search) || !saneInput(params)) throw new DomainError("BAD_REQUEST");
      const query = (opts.query ? parseWith(opts.query, search, locale) : undefined) as Q;
      const actor: Actor = {
        type: session?.kind === "staff" ? "staff" : session?.kind === "org" ? "org" : "holder",
        id: session?.kind === "staff" ? session.staffUserId : (session?.certificateId ?? null),
        ip: clientIp(req, config.TRUST_PROXY),
        userAgent: req.headers.get("user-agent")?.slice(0, 300) ?? null,
      };
      const ctx: RouteContext<B, Q> = {
        req:
          rawText !== undefined && opts.rawBody
            ? new Request(req.url, { method: req.method, headers: req.headers, body: rawText })
            : req,
        requestId,
        locale,
        body,
        query,
        params,
        session,
        actor,
        db,
        ca: getCa,
        alipay: () => alipayFor(config),
        clock,
        config,
        log: rlog,
        setCookie: (name, value, o) =>
          cookies.push(serializeCookie(name, value, { secure: config.secureCookies, ...o })),
      };
      const run = async () => {
        const result = await handler(ctx);
        return result instanceof Response ? result : { status: 200, body: result };
      };
      let out: Response | { status: number; body: unknown };
      if (opts.idempotency) {
        const key = req.headers.get(IDEMPOTENCY_HEADER);
        if (!key || !/^[A-Za-z0-9_-]{8,80}$/.test(key))
          throw new DomainError("BAD_REQUEST", { header: IDEMPOTENCY_HEADER });
        const scope = `${opts.idempotency}:${session?.id ?? actor.ip ?? "anon"}:${key}`;
        out = await withIdempotency(db, scope, body, async () => {
          const r = await run();
          if (r instanceof Response) throw new Error("idempotent routes return data, not a Response");
          return r;
        });
      } else {
        out = await run();
      }
      const res = out instanceof Response ? out : json(out.body, out.status);
      for (const c of cookies) res.headers.append("set-cookie", c);
      res.headers.set("x-request-id", requestId);
      return res;
    } catch (e) {
      const { status, body } = toErrorResponse(e, locale, requestId);
      if (status >= 500) rlog.error({ err: e }, "request failed");
      const headers: Record<string, string> = { "x-request-id": requestId };
      if (status === 503 || status === 429)
        headers["retry-after"] = String((body.error.details?.retryAfter as number | undefined) ?? 5);
      return json(body, status, headers);
    }
  };
  return measured(handle);
}

/** Requests and latency per route pattern (lib/metrics), around a route handler. */
function measured(handle: (req: Request, nextCtx?: NextCtx) => Promise<Response>) {
  return async (req: Request, nextCtx?: NextCtx): Promise<Response> => {
    const started = performance.now();
    const res = await handle(req, nextCtx);
    try {
      // routes without dynamic segments get no params from Next
      const params = (await Promise.resolve(nextCtx?.params).catch(() => undefined)) ?? {};
      const labels = { route: routePattern(new URL(req.url).pathname, params), method: req.method.toUpperCase() };
      metrics.httpRequests.inc({ ...labels, status: String(res.status) });
      metrics.httpDuration.observe(labels, (performance.now() - started) / 1000);
    } catch {
      // a metric never costs a request its answer
    }
    return res;
  };
}
