import "@/tests/helpers/env";
import http from "node:http";
import { readdirSync } from "node:fs";
import path from "node:path";
import type { AddressInfo } from "node:net";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { createFront } from "@/lib/runtime/front";
import { DIRECT_MAX_BODY, type DirectRoutes } from "@/lib/runtime/direct";
import { EVERY_ANSWER_HEADERS, HTTPS_ANSWER_HEADERS } from "@/lib/http/security-headers";
import { PEER_HEADER } from "@/lib/http/request";
import { COOKIE, CSRF_HEADER } from "@/lib/session";
import { getConfig } from "@/lib/config";
import { DomainError, toErrorResponse } from "@/lib/errors";
import { json as jsonAnswer } from "@/lib/http/route";
import { FRONT_ROUTES } from "@/app/api/front-routes";
import nextConfig from "@/next.config";
import { holder, signText, useRenewWorld } from "../renew/fixture";

/**
 * The holder's renewal API answered by the node:http front itself (lib/runtime/direct.ts), through real sockets,
 * with the real route modules (app/api/front-routes.ts) on a real database. Next's handler is a stub that records
 * what it was handed.
 */
const world = useRenewWorld({ routes: true });

interface Answer {
  status: number;
  headers: http.IncomingHttpHeaders;
  body: string;
}

const servers: http.Server[] = [];
let base: string;
const handedToNext: string[] = [];

async function frontWith(direct: DirectRoutes): Promise<string> {
  const next = (req: http.IncomingMessage, res: http.ServerResponse) => {
    handedToNext.push(`${req.method} ${req.url}`);
    res.writeHead(299, { "content-type": "text/plain" }).end("next");
  };
  const server = http.createServer(createFront({ next, direct, pki: false }));
  servers.push(server);
  await new Promise<void>((r) => server.listen(0, "127.0.0.1", r));
  return `http://127.0.0.1:${(server.address() as AddressInfo).port}`;
}

beforeAll(async () => {
  base = await frontWith(FRONT_ROUTES);
});
afterAll(async () => {
  for (const s of servers) {
    s.closeAllConnections();
    await new Promise((r) => s.close(r));
  }
});

function ask(
  url: string,
  opts: { method?: string; headers?: Record<string, string>; body?: string | Buffer; on?: string } = {},
): Promise<Answer> {
  return new Promise((resolve, reject) => {
    const req = http.request(
      `${opts.on ?? base}${url}`,
      { method: opts.method ?? (opts.body === undefined ? "GET" : "POST"), headers: opts.headers, agent: false },
      (res) => {
        const chunks: Buffer[] = [];
        res.on("data", (c: Buffer) => chunks.push(c));
        res.on("end", () =>
          resolve({ status: res.statusCode!, headers: res.headers, body: Buffer.concat(chunks).toString() }),
        );
      },
    );
    req.on("error", reject);
    req.end(opts.body);
  });
}

const json = (body: unknown, extra: Record<string, string> = {}) => ({
  method: "POST",
  body: JSON.stringify(body),
  headers: { origin: getConfig().publicOrigin, "content-type": "application/json", ...extra },
});

async function signIn(extra: Record<string, string> = {}) {
  const h = await holder(world.db, world.ca, { from: new Date() });
  const c = await ask("/api/renew/challenge", json({ serial: h.row.serial }, extra));
  expect(c.status).toBe(200);
  const { challenge } = JSON.parse(c.body) as { challenge: string };
  const login = await ask("/api/renew/login", json({ challenge, signature: signText(h.key, challenge) }, extra));
  return { h, login };
}

describe("the front answers the holder API itself (lib/runtime/direct.ts)", () => {
  it("signs a holder in with the route handlers, Set-Cookie, content length and every answer's headers; Next is not asked", async () => {
    const before = handedToNext.length;
    const { login } = await signIn();
    expect(login.status).toBe(200);
    const cookies = login.headers["set-cookie"] ?? [];
    expect(cookies.some((c) => new RegExp(`^${COOKIE.holder}=[^;]+; Path=/; SameSite=Strict; HttpOnly`).test(c))).toBe(
      true,
    );
    expect(login.headers["content-type"]).toBe("application/json; charset=utf-8");
    expect(login.headers["content-length"]).toBe(String(Buffer.byteLength(login.body)));
    expect(login.headers["x-request-id"]).toMatch(/^[0-9a-f-]{36}$/);
    for (const { key, value } of EVERY_ANSWER_HEADERS) expect(login.headers[key]).toBe(value);
    expect(login.headers["strict-transport-security"]).toBeUndefined();
    expect(JSON.parse(login.body)).toMatchObject({ csrfToken: expect.any(String) });
    expect(handedToNext.length).toBe(before);

    // the session works on the next request, which reads the cookie and the CSRF token
    const cookie = cookies.map((c) => c.split(";")[0]).join("; ");
    const summary = await ask("/api/renew/summary", { headers: { cookie } });
    expect(summary.status).toBe(200);
    expect(JSON.parse(summary.body)).toHaveProperty("certificate");
  });

  it("the headers are next.config.ts's, HSTS only over HTTPS", async () => {
    const rules = await nextConfig.headers!();
    expect(rules[0].headers).toEqual(EVERY_ANSWER_HEADERS);
    expect(rules[1].headers).toEqual(HTTPS_ANSWER_HEADERS);
    const a = await ask("/api/renew/challenge", json({ serial: "01" }, { "x-forwarded-proto": "https" }));
    for (const { key, value } of [...EVERY_ANSWER_HEADERS, ...HTTPS_ANSWER_HEADERS]) expect(a.headers[key]).toBe(value);
  });

  it("takes the client's address from the socket, never from the client's own peer header", async () => {
    const { login } = await signIn({ [PEER_HEADER]: "198.51.100.66" });
    const csrf = (JSON.parse(login.body) as { csrfToken: string }).csrfToken;
    const session = await world.db.session.findFirstOrThrow({ where: { csrfToken: csrf } });
    expect(session.ip).toBe("127.0.0.1");
  });

  it("bad input gets the route's own error in the caller's language, and a body over the front's limit a 413 unread", async () => {
    const zh = await ask("/api/renew/challenge", json({ serial: 5 }));
    expect(zh.status).toBe(422);
    expect(JSON.parse(zh.body).error.code).toBe("VALIDATION_FAILED");
    const en = await ask("/api/renew/challenge", json({ serial: 5 }, { cookie: "lang=en" }));
    expect(JSON.parse(en.body).error.message).not.toBe(JSON.parse(zh.body).error.message);

    // over the route's 64 KiB, under the front's limit: the route refuses it
    const big = await ask("/api/renew/challenge", json({ serial: "x".repeat(100_000) }));
    expect(big.status).toBe(413);
    expect(JSON.parse(big.body).error.code).toBe("PAYLOAD_TOO_LARGE");
    // over the front's own limit: refused before the handler, in the caller's language
    const huge = await ask("/api/renew/challenge", {
      ...json({}, { cookie: "lang=en" }),
      body: Buffer.alloc(DIRECT_MAX_BODY + 10, 0x20),
    });
    expect(huge.status).toBe(413);
    const error = JSON.parse(huge.body).error;
    expect(error.code).toBe("PAYLOAD_TOO_LARGE");
    expect(error.message).toBe(toErrorResponse(new DomainError("PAYLOAD_TOO_LARGE"), "en").body.error.message);
    expect(huge.headers["x-frame-options"]).toBe("DENY");
  });

  it("hands Next what it does not answer: other paths, a trailing slash, and methods the module does not export", async () => {
    const before = handedToNext.length;
    expect((await ask("/api/renew/login")).status).toBe(299); // the module exports POST only (Next answers 405)
    expect((await ask("/api/renew/summary", { method: "HEAD" })).status).toBe(299);
    expect((await ask("/api/renew/login/", json({}))).status).toBe(299);
    expect((await ask("/api/staff/login", json({}))).status).toBe(299);
    expect((await ask("/renew")).status).toBe(299);
    expect(handedToNext.slice(before)).toEqual([
      "GET /api/renew/login",
      "HEAD /api/renew/summary",
      "POST /api/renew/login/",
      "POST /api/staff/login",
      "GET /renew",
    ]);
  });

  it("lists every route of the holder's renewal API (a new one must be added to app/api/front-routes.ts)", () => {
    const routes = (dir: string): string[] =>
      readdirSync(dir, { withFileTypes: true }).flatMap((e) =>
        e.isDirectory() ? routes(path.join(dir, e.name)) : e.name === "route.ts" ? [dir] : [],
      );
    const onDisk = routes(path.join("app", "api", "renew")).map((d) => `/${d.split(path.sep).join("/").slice(4)}`);
    expect(onDisk.every((p) => !p.includes("["))).toBe(true);
    expect(Object.keys(FRONT_ROUTES).sort()).toEqual(
      [
        ...onDisk,
        "/api/payments/alipay/notify",
        "/sandbox/alipay/gateway.do",
        "/sandbox/alipay/pay/[tradeNo]/confirm",
      ].sort(),
    );
  });
});

describe("the front's direct answers, with modules made for the test", () => {
  it("aborts the request's signal when the client leaves before the answer", async () => {
    let aborted!: () => void;
    const abortedNow = new Promise<void>((r) => (aborted = r));
    const on = await frontWith({
      "/api/renew/payment": async () => ({
        GET: (req: Request) =>
          new Promise<Response>((resolve) =>
            req.signal.addEventListener("abort", () => {
              aborted();
              resolve(new Response(null, { status: 204 }));
            }),
          ),
      }),
    });
    const req = http.get(`${on}/api/renew/payment?orderId=x&wait=10`, { agent: false });
    req.on("error", () => undefined);
    await new Promise((r) => setTimeout(r, 200));
    req.destroy();
    await abortedNow;
  });

  it("a module that cannot load leaves the request to Next and is loaded again next time; a handler that throws is a 500 in JSON", async () => {
    let loads = 0;
    const on = await frontWith({
      "/api/renew/status": async () => {
        loads++;
        if (loads === 1) throw new Error("cannot load");
        return {
          GET: () => {
            throw new Error("handler broke");
          },
        };
      },
    });
    const before = handedToNext.length;
    expect((await ask("/api/renew/status", { on })).status).toBe(299);
    expect(handedToNext.slice(before)).toEqual(["GET /api/renew/status"]);
    const broke = await ask("/api/renew/status", { on });
    expect(loads).toBe(2);
    expect(broke.status).toBe(500);
    expect(JSON.parse(broke.body).error.code).toBe("INTERNAL");
    expect(broke.headers["cache-control"]).toBe("no-store");
  });

  it("passes the query string, the method and the body to the handler as they came", async () => {
    const on = await frontWith({
      "/api/renew/confirm": async () => ({
        POST: async (req: Request) =>
          Response.json({
            url: new URL(req.url).pathname + new URL(req.url).search,
            body: await req.text(),
            csrf: req.headers.get(CSRF_HEADER),
          }),
      }),
    });
    const a = await ask("/api/renew/confirm?a=1&b=%E4%B8%AD", {
      on,
      method: "POST",
      body: "中文 body",
      headers: { [CSRF_HEADER]: "t" },
    });
    expect(JSON.parse(a.body)).toEqual({ url: "/api/renew/confirm?a=1&b=%E4%B8%AD", body: "中文 body", csrf: "t" });
  });

  it("gives the body the front read as each reader asks for it, once, and writes json()'s answer as it was made", async () => {
    const seen: unknown[] = [];
    const on = await frontWith({
      "/api/renew/confirm": async () => ({
        POST: async (req: Request) => {
          const copy = req.clone();
          seen.push(req.bodyUsed, await req.json(), req.bodyUsed);
          await req.text().then(
            () => seen.push("read twice"),
            (e: Error) => seen.push(e.name),
          );
          seen.push(new Uint8Array(await copy.arrayBuffer()).length);
          return jsonAnswer({ 中: "文", n: 1 }, 201, { "x-extra": "1" });
        },
      }),
      "/api/renew/invoice": async () => ({
        POST: async (req: Request) => {
          seen.push(Object.fromEntries(await req.formData()));
          return new Response(req.body, { status: 200 });
        },
      }),
      "/api/renew/status": async () => ({
        GET: async (req: Request) => Response.json({ body: req.body, used: req.bodyUsed, text: await req.text() }),
      }),
    });
    const body = JSON.stringify({ orderId: "x", 中: "文" });
    const a = await ask("/api/renew/confirm", { on, method: "POST", body });
    expect(seen.splice(0)).toEqual([false, { orderId: "x", 中: "文" }, true, "TypeError", Buffer.byteLength(body)]);
    expect(a.status).toBe(201);
    expect(a.body).toBe(JSON.stringify({ 中: "文", n: 1 }));
    expect(a.headers["content-length"]).toBe(String(Buffer.byteLength(a.body)));
    expect(a.headers["x-extra"]).toBe("1");
    expect(a.headers["content-type"]).toBe("application/json; charset=utf-8");

    const form = await ask("/api/renew/invoice", {
      on,
      method: "POST",
      body: "a=1&b=%E4%B8%AD",
      headers: { "content-type": "application/x-www-form-urlencoded" },
    });
    expect(seen.splice(0)).toEqual([{ a: "1", b: "中" }]);
    // the form was read: its stream is not there to give back
    expect(form.status).toBe(500);

    const get = await ask("/api/renew/status", { on });
    expect(JSON.parse(get.body)).toEqual({ body: null, used: false, text: "" });
  });

  it("answers a route with dynamic segments with their decoded values, as Next passes them; other shapes go to Next", async () => {
    const on = await frontWith({
      "/pay/[tradeNo]/confirm": async () => ({
        POST: async (_req: Request, ctx: { params: Promise<Record<string, string>> }) =>
          Response.json(await ctx.params),
      }),
      "/pay/list": async () => ({ GET: () => new Response("exact") }),
    });
    const post = (url: string) => ask(url, { on, method: "POST", body: "" });
    expect(JSON.parse((await post("/pay/2026120522001/confirm")).body)).toEqual({ tradeNo: "2026120522001" });
    expect(JSON.parse((await post("/pay/a%20b%E4%B8%AD/confirm")).body)).toEqual({ tradeNo: "a b中" });
    expect((await ask("/pay/list", { on })).body).toBe("exact");
    const before = handedToNext.length;
    for (const url of ["/pay//confirm", "/pay/a/b/confirm", "/pay/a/confirm/", "/pay/%E4%B8/confirm", "/pay/a/other"])
      expect((await post(url)).status).toBe(299);
    expect((await ask("/pay/a/confirm", { on })).status).toBe(299); // the module exports POST only
    expect(handedToNext.slice(before)).toEqual([
      "POST /pay//confirm",
      "POST /pay/a/b/confirm",
      "POST /pay/a/confirm/",
      "POST /pay/%E4%B8/confirm",
      "POST /pay/a/other",
      "GET /pay/a/confirm",
    ]);
  });
});
