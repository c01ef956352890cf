import { readdirSync, statSync } from "node:fs";
import http from "node:http";
import type { AddressInfo } from "node:net";
import path from "node:path";
import { PEER_HEADER } from "../../../lib/http/request";

/**
 * The portal's route handlers (every `app/**\/route.ts`) behind a node:http server: the same exported functions
 * `next start` calls, without the build, so a fault test can run, kill and restart "the server" in seconds.
 * Pages are not served; API, OCSP, CRL, sandbox gateway and notify routes are.
 */

export const ROOT = path.resolve(import.meta.dirname, "../../..");
type Method = "GET" | "HEAD" | "POST" | "PUT" | "PATCH" | "DELETE";

export interface RouteEntry {
  /** the file, relative to the repository */
  file: string;
  /** the URL pattern, e.g. /api/staff/orders/[id]/refund */
  pattern: string;
  regex: RegExp;
  params: { name: string; catchAll: boolean }[];
}

function walk(dir: string, out: string[]): void {
  for (const name of readdirSync(dir)) {
    const p = path.join(dir, name);
    if (statSync(p).isDirectory()) walk(p, out);
    else if (name === "route.ts") out.push(p);
  }
}

/** Every route file of the app with its URL pattern; static segments sort before dynamic ones. */
export function routeTable(): RouteEntry[] {
  const files: string[] = [];
  walk(path.join(ROOT, "app"), files);
  return files
    .map((abs) => {
      const rel = path.relative(path.join(ROOT, "app"), path.dirname(abs));
      const segments = rel.split(path.sep).filter((s) => s && !/^\(.*\)$/.test(s));
      const params: RouteEntry["params"] = [];
      const parts = segments.map((s) => {
        const m = /^\[(\.\.\.)?(\w+)\]$/.exec(s);
        if (!m) return s.replace(/[.*+?^${}()|[\]\\]/g, "\\$&");
        params.push({ name: m[2], catchAll: Boolean(m[1]) });
        return m[1] ? "(.+)" : "([^/]+)";
      });
      return {
        file: path.relative(ROOT, abs),
        pattern: `/${segments.join("/")}`,
        regex: new RegExp(`^/${parts.join("/")}/?$`),
        params,
      };
    })
    .sort((a, b) => a.params.length - b.params.length || b.pattern.length - a.pattern.length);
}

type RouteModule = Partial<
  Record<
    Method,
    (req: Request, ctx: { params: Promise<Record<string, string | string[]>> }) => Promise<Response> | Response
  >
>;

const modules = new Map<string, Promise<RouteModule>>();
export function loadRoute(entry: RouteEntry): Promise<RouteModule> {
  let m = modules.get(entry.file);
  if (!m) {
    m = import(path.join(ROOT, entry.file)) as Promise<RouteModule>;
    modules.set(entry.file, m);
  }
  return m;
}

/** Calls the route a Request's path names, as Next would; 404 for no route, 405 for no such method. */
export async function dispatch(req: Request, table: RouteEntry[] = routeTable()): Promise<Response> {
  const pathname = new URL(req.url).pathname;
  for (const entry of table) {
    const m = entry.regex.exec(pathname);
    if (!m) continue;
    const mod = await loadRoute(entry);
    const fn = mod[req.method.toUpperCase() as Method];
    if (!fn) return new Response(null, { status: 405 });
    const params: Record<string, string | string[]> = {};
    try {
      entry.params.forEach((p, i) => {
        params[p.name] = p.catchAll ? m[i + 1].split("/").map(decodeURIComponent) : decodeURIComponent(m[i + 1]);
      });
    } catch {
      return new Response("Bad Request", { status: 400 }); // as Next answers a malformed %-escape in the path
    }
    return fn(req, { params: Promise.resolve(params) });
  }
  return new Response("Not Found", { status: 404 });
}

async function toRequest(req: http.IncomingMessage, base: string): Promise<Request> {
  const chunks: Buffer[] = [];
  for await (const c of req) chunks.push(c as Buffer);
  const headers = new Headers();
  for (const [k, v] of Object.entries(req.headers)) {
    if (v === undefined || k === PEER_HEADER) continue;
    for (const one of Array.isArray(v) ? v : [v]) headers.append(k, one);
  }
  // as the portal's front does: the socket's address, never the client's own copy of the header
  if (req.socket.remoteAddress) headers.set(PEER_HEADER, req.socket.remoteAddress);
  const hasBody = req.method !== "GET" && req.method !== "HEAD";
  return new Request(new URL(req.url ?? "/", base), {
    method: req.method,
    headers,
    body: hasBody ? Buffer.concat(chunks) : undefined,
  });
}

export interface RunningRouteServer {
  base: string;
  server: http.Server;
  close(): Promise<void>;
}

/** Serves the routes on 127.0.0.1:`port`; an exception escaping a route is a 500 with the message in the log. */
export function serveRoutes(
  port: number,
  onError: (e: unknown) => void = (e) => console.error(e),
): Promise<RunningRouteServer> {
  const table = routeTable();
  const base = `http://127.0.0.1:${port}`;
  const server = http.createServer((req, res) => {
    void (async () => {
      let response: Response;
      try {
        response = await dispatch(await toRequest(req, base), table);
      } catch (e) {
        onError(e);
        response = new Response("route threw", { status: 500 });
      }
      const headers: Record<string, string | string[]> = {};
      response.headers.forEach((v, k) => {
        if (k !== "set-cookie") headers[k] = v;
      });
      const cookies = response.headers.getSetCookie();
      if (cookies.length) headers["set-cookie"] = cookies;
      res.writeHead(response.status, headers);
      res.end(Buffer.from(await response.arrayBuffer()));
    })().catch((e) => {
      onError(e);
      if (!res.headersSent) res.writeHead(500);
      res.end();
    });
  });
  return new Promise((resolve) =>
    server.listen(port, "127.0.0.1", () =>
      resolve({
        base: `http://127.0.0.1:${(server.address() as AddressInfo).port}`,
        server,
        close: () =>
          new Promise((r) => {
            server.closeAllConnections();
            server.close(() => r());
          }),
      }),
    ),
  );
}
