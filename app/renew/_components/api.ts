/** The wizard pages' calls to /api/renew (browser side): JSON, CSRF header, an idempotency key per action. */

export class ApiError extends Error {
  constructor(
    readonly code: string,
    message: string,
    readonly details: Record<string, unknown> & { fields?: Record<string, string> } = {},
    readonly status = 0,
  ) {
    super(message);
    this.name = "ApiError";
  }
}

function newKey(): string {
  return crypto.randomUUID();
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

async function call<T>(method: "GET" | "POST", path: string, body: unknown, o: CallOptions): Promise<T> {
  let res: Response;
  try {
    res = await fetch(path, {
      method,
      headers: {
        ...(body === undefined ? {} : { "content-type": "application/json" }),
        ...(o.csrf ? { "x-csrf-token": o.csrf } : {}),
        ...(method === "POST" ? { "idempotency-key": o.idempotencyKey ?? newKey() } : {}),
      },
      body: body === undefined ? undefined : JSON.stringify(body),
      cache: "no-store",
      credentials: "same-origin",
    });
  } catch {
    throw new ApiError("NETWORK", offlineMessage());
  }
  const json = (await res.json().catch(() => null)) as {
    error?: { code: string; message: string; details?: Record<string, unknown> };
  } | null;
  if (!res.ok || !json) {
    const e = json?.error;
    throw new ApiError(e?.code ?? "INTERNAL", e?.message ?? `HTTP ${res.status}`, e?.details ?? {}, res.status);
  }
  return json as T;
}

export const apiGet = <T>(path: string, o: CallOptions = {}) => call<T>("GET", path, undefined, o);
export const apiPost = <T>(path: string, body: unknown, o: CallOptions = {}) => call<T>("POST", path, body, o);
