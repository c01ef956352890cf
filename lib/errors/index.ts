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
    return {
      status: e.status,
      body: { error: { code: e.code, message: errorMessage(e.code, locale, e.details), details, requestId } },
    };
  }
  if (isDbUnavailable(e)) {
    return {
      status: 503,
      body: {
        error: {
          code: "DB_UNAVAILABLE",
          message: errorMessage("DB_UNAVAILABLE", locale),
          details: { retryAfter: 5 },
          requestId,
        },
      },
    };
  }
  return {
    status: 500,
    body: { error: { code: "INTERNAL", message: errorMessage("INTERNAL", locale, { requestId }), requestId } },
  };
}

const UNAVAILABLE =
  /ECONNREFUSED|ECONNRESET|ETIMEDOUT|EPIPE|Connection terminated|terminating connection|Can't reach database|the database system is (starting up|shutting down|in recovery mode)|\b57P0[1-3]\b|Code: `08|P1001|P1017|P2028|TX_WAIT|TX_EXPIRED|Unable to start a transaction|DatabaseNotReachable|ConnectionClosed|Connection is closed|not queryable|Server has closed the connection|Connection lost/;

/**
 * A lost or refused database connection (including PostgreSQL's "operator intervention" and connection
 * exception SQLSTATEs): the request may be retried, nothing was half-written. Checked by shape, not class,
 * because driver adapters may throw plain objects.
 */
export function isDbUnavailable(e: unknown): boolean {
  if (typeof e !== "object" || e === null) return false;
  const o = e as { name?: unknown; message?: unknown; code?: unknown; cause?: unknown; meta?: unknown };
  const cause = o.cause as { message?: unknown; code?: unknown } | undefined;
  const parts = [o.name, o.message, o.code, cause?.message, cause?.code, o.meta ? JSON.stringify(o.meta) : ""];
  return UNAVAILABLE.test(parts.filter((p) => typeof p === "string").join(" "));
}
