/**
 * The text of a body `json` made, on the Response: the node:http front (lib/runtime/direct.ts) writes it as it is
 * instead of reading the Response's stream back. A symbol of the registry: the portal loads lib/ twice.
 */
export const BODY_TEXT = Symbol.for("certrenew.bodyText");

/** A JSON answer that is never cached, as every API route and the front's own errors answer. */
export function json(body: unknown, status = 200, headers: HeadersInit = {}): Response {
  const text = JSON.stringify(body);
  const res = new Response(text, {
    status,
    headers: { "content-type": "application/json; charset=utf-8", "cache-control": "no-store", ...headers },
  });
  (res as Response & { [BODY_TEXT]?: string })[BODY_TEXT] = text;
  return res;
}
