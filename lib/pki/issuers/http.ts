import { UpstreamError } from "./types";

/**
 * One HTTP exchange with an upstream CA, every failure classified: no connection, a timeout (slow), a cut
 * answer are retryable UpstreamErrors with `detail.fault` naming which, so the caller tells the holder 稍后重试.
 */
export async function upstreamFetch(
  url: string,
  init: { method: "GET" | "POST"; body?: string | Buffer; contentType?: string; timeoutMs: number },
): Promise<{ status: number; body: Buffer }> {
  let res: Response;
  try {
    res = await fetch(url, {
      method: init.method,
      body: init.body === undefined ? undefined : new Uint8Array(Buffer.from(init.body)),
      headers: init.contentType ? { "content-type": init.contentType } : undefined,
      signal: AbortSignal.timeout(init.timeoutMs),
    });
  } catch (err) {
    throw classify(err, url);
  }
  try {
    return { status: res.status, body: Buffer.from(await res.arrayBuffer()) };
  } catch (err) {
    throw classify(err, url);
  }
}

function classify(err: unknown, url: string): UpstreamError {
  const e = err as { name?: string; cause?: { code?: string }; message?: string };
  if (e.name === "TimeoutError" || e.name === "AbortError")
    return new UpstreamError(`upstream did not answer in time: ${url}`, true, { fault: "timeout" });
  const code = e.cause?.code ?? "";
  const fault = /ECONNREFUSED|ENOTFOUND|EHOSTUNREACH|ENETUNREACH/.test(code) ? "down" : "connection";
  return new UpstreamError(`upstream ${fault}: ${code || e.message || "fetch failed"}`, true, { fault, code });
}
