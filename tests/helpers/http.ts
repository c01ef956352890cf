import { getConfig } from "@/lib/config";
import { CSRF_HEADER } from "@/lib/session";

/** What a browser carries between route calls: its session cookie and the session's CSRF token. */
export interface Browser {
  cookie?: string;
  csrf?: string;
}

/**
 * A request to a route handler as the portal's own page makes it: same origin, JSON, the browser's cookie and CSRF
 * header; GET without a body, POST with one. `headers` come last (a client address, an idempotency key…).
 */
export function browserRequest(
  path: string,
  b: Browser,
  body?: unknown,
  headers: Record<string, string> = {},
): Request {
  const origin = getConfig().publicOrigin;
  return new Request(`${origin}${path}`, {
    method: body === undefined ? "GET" : "POST",
    body: body === undefined ? undefined : JSON.stringify(body),
    headers: {
      origin,
      "content-type": "application/json",
      "x-real-ip": "10.1.2.3",
      ...(b.cookie ? { cookie: b.cookie } : {}),
      ...(b.csrf ? { [CSRF_HEADER]: b.csrf } : {}),
      ...headers,
    },
  });
}
