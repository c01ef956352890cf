import { ERRORS, type ErrorCode } from "./catalog";
import type { Locale } from "./types";

export type { ErrorCode } from "./catalog";
export type { Locale } from "./types";

export type ErrorDetails = Record<string, unknown> & {
  /** per-field messages for forms: field name → message code or text */
  fields?: Record<string, string>;
};

/** The one error type of the domain. Routes map it to an HTTP status and the holder's language in one place. */
export class DomainError extends Error {
  constructor(
    readonly code: ErrorCode,
    readonly details: ErrorDetails = {},
  ) {
    super(code);
    this.name = "DomainError";
  }

  get status(): number {
    return ERRORS[this.code].status;
  }
}

export function isDomainError(e: unknown): e is DomainError {
  return e instanceof DomainError;
}

function fill(template: string, details: ErrorDetails): string {
  return template.replace(/\{(\w+)\}/g, (_, k: string) => {
    const v = details[k];
    if (v instanceof Date) return v.toISOString();
    return v === undefined ? "" : String(v);
  });
}

export function errorMessage(code: ErrorCode, locale: Locale, details: ErrorDetails = {}): string {
  return fill(ERRORS[code][locale], details);
}

export interface ErrorBody {
  error: { code: ErrorCode; message: string; details?: ErrorDetails; requestId?: string };
}

/** The JSON body and status for any thrown value; unexpected errors become INTERNAL with the request id only. */
export function toErrorResponse(e: unknown, locale: Locale, requestId?: string): { status: number; body: ErrorBody } {
  if (isDomainError(e)) {
    const details = Object.keys(e.details).length ? e.details : undefined;
    return { status: e.status, body: { error: { code: e.code, message: errorMessage(e.code, locale, e.details), details, requestId } } };
  }
  if (isDbUnavailable(e)) {
    return { status: 503, body: { error: { code: "DB_UNAVAILABLE", message: errorMessage("DB_UNAVAILABLE", locale), details: { retryAfter: 5 }, requestId } } };
  }
  return { status: 500, body: { error: { code: "INTERNAL", message: errorMessage("INTERNAL", locale, { requestId }), requestId } } };
}

const UNAVAILABLE = /ECONNREFUSED|ECONNRESET|ETIMEDOUT|Connection terminated|terminating connection|Can't reach database|the database system is (starting up|shutting down)|P1001|P1017|P2028|Unable to start a transaction|DatabaseNotReachable|ConnectionClosed/;

/** A lost or refused database connection: the request may be retried, nothing was half-written. */
export function isDbUnavailable(e: unknown): boolean {
  if (!(e instanceof Error)) return false;
  const code = (e as { code?: unknown }).code;
  return UNAVAILABLE.test(`${e.name} ${e.message} ${typeof code === "string" ? code : ""} ${e.cause instanceof Error ? e.cause.message : ""}`);
}
