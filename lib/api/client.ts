import type { ErrorDetails } from "../errors";
import type { GetEndpoints, PostEndpoints } from "./endpoints";

/**
 * The browser's calls to the portal's API: JSON, the CSRF header when the page has a session, an idempotency
 * key per POST. Paths, bodies and answers are typed by the routes' schemas (./endpoints.ts). A failure is an
 * ApiError carrying the server's code, message and details (field messages of VALIDATION_FAILED in `fields`).
 */

export class ApiError extends Error {
  constructor(
    readonly code: string,
    message: string,
    readonly details: ErrorDetails = {},
    readonly status = 0,
  ) {
    super(message);
    this.name = "ApiError";
  }
}

export interface CallOptions {
  csrf?: string;
  /** reuse the same key when repeating one action (a retry after a network error) */
  idempotencyKey?: string;
}

function offlineMessage(): string {
  return document.documentElement.lang === "en"
    ? "The portal could not be reached. Check the network connection and try again."
    : "无法连接到服务器，请检查网络后重试。";
}

type Method = "GET" | "POST" | "PUT" | "PATCH" | "DELETE";

async function call<T>(method: Method, path: string, body: unknown, o: CallOptions): Promise<T> {
  let res: Response;
  try {
    res = await fetch(path, {
      method,
      headers: {
        ...(body === undefined ? {} : { "content-type": "application/json" }),
        ...(o.csrf ? { "x-csrf-token": o.csrf } : {}),
        ...(method === "POST" ? { "idempotency-key": o.idempotencyKey ?? crypto.randomUUID() } : {}),
      },
      body: body === undefined ? undefined : JSON.stringify(body),
      cache: "no-store",
      credentials: "same-origin",
    });
  } catch {
    throw new ApiError("NETWORK", offlineMessage());
  }
  const json = (await res.json().catch(() => null)) as {
    error?: { code: string; message: string; details?: ErrorDetails };
  } | null;
  if (!res.ok || !json) {
    const e = json?.error;
    throw new ApiError(e?.code ?? "INTERNAL", e?.message ?? `HTTP ${res.status}`, e?.details ?? {}, res.status);
  }
  return json as T;
}

type GetOptions<P extends keyof GetEndpoints> = CallOptions &
  (GetEndpoints[P] extends { query: infer Q } ? { query: Q } : { query?: undefined });

export function apiGet<P extends keyof GetEndpoints>(
  path: P,
  ...[o]: GetEndpoints[P] extends { query: unknown } ? [GetOptions<P>] : [GetOptions<P>?]
): Promise<GetEndpoints[P]["response"]> {
  const query = o?.query ? `?${new URLSearchParams(o.query as Record<string, string>)}` : "";
  return call("GET", path + query, undefined, o ?? {});
}

export function apiPost<P extends keyof PostEndpoints>(
  path: P,
  body: PostEndpoints[P]["body"],
  o: CallOptions = {},
): Promise<PostEndpoints[P]["response"]> {
  return call("POST", path, body, o);
}

/**
 * A staff form's call (components of app/(staff)): any method, any staff route, an untyped answer. The staff
 * routes keep their schemas beside them; only the holder-facing routes form the typed contract above.
 */
export function apiSend(
  method: Exclude<Method, "GET">,
  path: string,
  body: unknown,
  o: CallOptions = {},
): Promise<unknown> {
  return call(method, path, body, o);
}

/** The message of a failure for one alert line; a VALIDATION_FAILED answer's field messages are appended. */
export function describeError(e: unknown, fallback: string): string {
  if (e instanceof ApiError) {
    const fields = e.details.fields;
    return fields && e.code === "VALIDATION_FAILED" ? `${e.message} ${Object.values(fields).join(" ")}` : e.message;
  }
  return e instanceof Error && e.message ? e.message : fallback;
}
