import "@/tests/helpers/env";
import http from "node:http";
import type { AddressInfo } from "node:net";
import { afterEach, describe, expect, it } from "vitest";
import { createFront } from "@/lib/runtime/front";
import { API_CONCURRENCY_DEFAULT, takesTurns } from "@/lib/runtime/gate";
import { metrics } from "@/lib/metrics";

/**
 * API requests take turns in each portal process (lib/runtime/gate.ts), through the real front and real sockets:
 * Next's handler is replaced by one that holds every request until the test lets it answer.
 */
describe("API requests take turns in a portal process (lib/runtime/gate.ts through lib/runtime/front.ts)", () => {
  const servers: http.Server[] = [];

  afterEach(async () => {
    for (const s of servers.splice(0)) {
      s.closeAllConnections();
      await new Promise((r) => s.close(r));
    }
  });

  /** A front whose Next holds each request: `begun` lists what Next got, in order; `answer(path)` lets one go. */
  async function portal(apiConcurrency?: number) {
    const begun: string[] = [];
    const held = new Map<string, http.ServerResponse>();
    const next = (req: http.IncomingMessage, res: http.ServerResponse) => {
      begun.push(req.url!);
      held.set(req.url!, res);
    };
    const server = http.createServer(createFront({ next, apiConcurrency }));
    servers.push(server);
    await new Promise<void>((r) => server.listen(0, "127.0.0.1", r));
    const base = `http://127.0.0.1:${(server.address() as AddressInfo).port}`;
    const answer = (url: string) => {
      const res = held.get(url);
      if (!res) throw new Error(`${url} has not begun`);
      held.delete(url);
      res.writeHead(200, { "content-type": "text/plain" }).end(url);
    };
    return { base, begun, answer };
  }

  /** A request on its own connection (a browser's), answered or not. */
  function ask(base: string, url: string, method = "GET") {
    const agent = new http.Agent({ keepAlive: false });
    let req!: http.ClientRequest;
    const answered = new Promise<string>((resolve, reject) => {
      req = http.request(`${base}${url}`, { method, agent }, (res) => {
        let body = "";
        res.on("data", (c: Buffer) => (body += c));
        res.on("end", () => resolve(body));
      });
      req.on("error", reject);
      req.end();
    });
    answered.catch(() => undefined);
    return { answered, abort: () => req.destroy() };
  }

  const until = async (what: () => boolean, ms = 3000) => {
    const end = Date.now() + ms;
    while (!what()) {
      if (Date.now() > end) throw new Error("timed out waiting");
      await new Promise((r) => setTimeout(r, 5));
    }
  };
  const settle = () => new Promise((r) => setTimeout(r, 150));

  it("begins at most the limit at once and the rest in the order they came, as answers leave", async () => {
    const p = await portal(2);
    const urls = ["/api/renew/handler?a", "/api/renew/confirm?b", "/api/renew/issue?c", "/api/renew/installed?d"];
    const asks = [];
    for (const u of urls) {
      asks.push(ask(p.base, u, "POST"));
      await settle(); // arrival order is the order sent
    }
    expect(p.begun).toEqual(urls.slice(0, 2));
    p.answer(urls[1]);
    expect(await asks[1].answered).toBe(urls[1]);
    await until(() => p.begun.length === 3);
    expect(p.begun[2]).toBe(urls[2]);
    await settle();
    expect(p.begun).toHaveLength(3);
    p.answer(urls[0]);
    await until(() => p.begun.length === 4);
    expect(p.begun[3]).toBe(urls[3]);
    for (const u of urls.slice(2)) p.answer(u);
    expect(await Promise.all(asks.map((a) => a.answered))).toEqual(urls);
  });

  it("frees the turn of a request whose client left, and never begins one that left while waiting", async () => {
    const p = await portal(1);
    const first = ask(p.base, "/api/renew/summary?1");
    await until(() => p.begun.length === 1);
    const second = ask(p.base, "/api/renew/summary?2");
    const third = ask(p.base, "/api/renew/summary?3");
    await settle();
    second.abort(); // gone while waiting
    await settle();
    first.abort(); // gone while being answered: its turn passes on
    await until(() => p.begun.length === 2);
    expect(p.begun).toEqual(["/api/renew/summary?1", "/api/renew/summary?3"]);
    p.answer("/api/renew/summary?3");
    expect(await third.answered).toBe("/api/renew/summary?3");
  });

  it("lets a request that waited 2 s begin anyway, over the limit, and counts how long it waited", async () => {
    const p = await portal(1);
    const read = async (what: "_count" | "_sum") =>
      (await metrics.apiQueueWait.get()).values.find((v) => v.metricName?.endsWith(what))?.value ?? 0;
    const [count, sum] = [await read("_count"), await read("_sum")];
    const stuck = ask(p.base, "/api/renew/payment?stuck", "POST"); // as if Alipay did not answer
    await until(() => p.begun.length === 1);
    const t = performance.now();
    const later = ask(p.base, "/api/renew/summary?later");
    await until(() => p.begun.length === 2, 5000);
    const waited = performance.now() - t;
    expect(waited).toBeGreaterThanOrEqual(1900);
    expect(waited).toBeLessThan(3500);
    p.answer("/api/renew/summary?later");
    expect(await later.answered).toBe("/api/renew/summary?later");
    p.answer("/api/renew/payment?stuck");
    await stuck.answered;
    // both are counted; the one that waited brings its ~2 s
    expect(await read("_count")).toBe(count + 2);
    expect((await read("_sum")) - sum).toBeGreaterThanOrEqual(1.9);
  });

  it("never holds the probes, the metrics, the payment page's held status request, pages or static files", async () => {
    const p = await portal(1);
    ask(p.base, "/api/renew/issue?busy", "POST");
    await until(() => p.begun.length === 1);
    const free = [
      "/api/health",
      "/api/ready",
      "/api/metrics",
      "/api/renew/payment?orderId=o1&wait=10",
      "/renew",
      "/_next/static/chunks/app.js",
    ];
    const asks = free.map((u) => ask(p.base, u));
    await until(() => p.begun.length === 1 + free.length);
    for (const u of free) p.answer(u);
    expect(await Promise.all(asks.map((a) => a.answered))).toEqual(free);
    // the status request without a wait is an ordinary API request: it takes its turn
    ask(p.base, "/api/renew/payment?orderId=o1");
    await settle();
    expect(p.begun).toHaveLength(1 + free.length);
  });

  it("with PORTAL_API_CONCURRENCY=0 begins every request at once", async () => {
    const p = await portal(0);
    for (let i = 0; i < 12; i++) ask(p.base, `/api/renew/summary?${i}`);
    await until(() => p.begun.length === 12);
  });

  it("takes turns for the API only, by default six at a time", () => {
    expect(API_CONCURRENCY_DEFAULT).toBe(6);
    expect(takesTurns("POST", "/api/renew/login", "")).toBe(true);
    expect(takesTurns("POST", "/api/payments/alipay/notify", "")).toBe(true);
    expect(takesTurns("GET", "/api/staff/orders", "?q=1")).toBe(true);
    expect(takesTurns("GET", "/api/renew/payment", "?orderId=x&wait=0")).toBe(true);
    expect(takesTurns("GET", "/api/renew/payment", "?wait=10&orderId=x")).toBe(false);
    expect(takesTurns("POST", "/api/renew/payment", "?wait=10")).toBe(true);
    expect(takesTurns("GET", "/api/health", "")).toBe(false);
    expect(takesTurns("GET", "/sandbox/alipay/gateway.do", "")).toBe(false);
    expect(takesTurns("GET", "/faq", "")).toBe(false);
  });
});
