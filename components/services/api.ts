/** JSON calls from the service pages to the portal's API; failures carry the server's code and message. */

export class ApiError extends Error {
  constructor(
    readonly code: string,
    message: string,
    readonly details: Record<string, unknown> = {},
  ) {
    super(message);
    this.name = "ApiError";
  }
}

export async function api<T>(path: string, body?: unknown): Promise<T> {
  const res = await fetch(path, {
    method: body === undefined ? "GET" : "POST",
    headers: body === undefined ? {} : { "content-type": "application/json" },
    body: body === undefined ? undefined : JSON.stringify(body),
    cache: "no-store",
  });
  const json = (await res.json().catch(() => ({}))) as {
    error?: { code: string; message: string; details?: Record<string, unknown> };
  };
  if (!res.ok)
    throw new ApiError(
      json.error?.code ?? "INTERNAL",
      json.error?.message ?? `HTTP ${res.status}`,
      json.error?.details,
    );
  return json as T;
}

/** Field messages a VALIDATION_FAILED answer carries, joined for one alert line. */
export function describeError(e: unknown, fallback: string): string {
  if (e instanceof ApiError) {
    const fields = e.details.fields as Record<string, string> | undefined;
    return fields && e.code === "VALIDATION_FAILED" ? `${e.message} ${Object.values(fields).join(" ")}` : e.message;
  }
  return e instanceof Error && e.message ? e.message : fallback;
}
