import "@/tests/helpers/env";
import { randomBytes } from "node:crypto";
import { afterAll, beforeAll, describe, it, vi } from "vitest";
import { log } from "@/lib/log";
import { onPostgres } from "@/tests/helpers/db";
import type { HolderClient, HttpResult } from "@/lib/dev/sim/http";
import { handlerFor, newKeyAndCsr, signChallenge, type SimHolder } from "@/lib/dev/sim/holders";
import { freePort } from "@/lib/dev/sim/portal";
import { startWorld, type World } from "./helpers/world";
import { useFaultSummary } from "./helpers/summary";
import { clusterUnavailable, createCluster, type Cluster } from "./helpers/pg-cluster";
import { CONSENT_VERSIONS } from "@/lib/consent";

/**
 * PostgreSQL is restarted (pg_ctl restart -m fast) on a private cluster while holders are in the middle of the
 * wizard. Every answer must be a success, a domain error, or 503 with Retry-After — never a 500 — and a client
 * that retries the same request (same Idempotency-Key) after a 503 must get through once the database is back.
 */

const summary = useFaultSummary("PostgreSQL restarted mid-flow");
const why = !onPostgres ? "needs DATABASE_URL (runs in the PostgreSQL pass of npm test)" : clusterUnavailable();
if (why) summary.skipped(why);

interface Seen {
  step: string;
  status: number;
  retryAfter?: string;
  code?: string;
}

let w: World;
let cluster: Cluster;
const originalUrl = process.env.DATABASE_URL;

describe.skipIf(Boolean(why))("PostgreSQL restarted mid-flow", () => {
  beforeAll(async () => {
    cluster = createCluster(await freePort());
    process.env.DATABASE_URL = cluster.url;
    w = await startWorld({ DATABASE_URL: cluster.url });
  });
  afterAll(async () => {
    await w?.close();
    cluster?.destroy();
    process.env.DATABASE_URL = originalUrl;
  });

  /** One request, retried with the same idempotency key while the answer is 503 (as the wizard's fetch does). */
  async function call(
    c: HolderClient,
    seen: Seen[],
    step: string,
    method: string,
    path: string,
    opts: { json?: unknown; idempotent?: boolean } = {},
  ): Promise<HttpResult> {
    const headers = opts.idempotent ? { "idempotency-key": randomBytes(12).toString("base64url") } : undefined;
    for (let attempt = 0; ; attempt++) {
      const r = await c.request(method, path, { json: opts.json, headers });
      const code =
        typeof r.body === "object" && r.body && "error" in r.body
          ? (r.body as { error: { code: string } }).error.code
          : undefined;
      seen.push({ step, status: r.status, retryAfter: r.headers["retry-after"] as string | undefined, code });
      if (r.status !== 503 || attempt >= 80) return r;
      await new Promise((res) => setTimeout(res, 250));
    }
  }

  /** The wizard with retries; a step whose single-use challenge was used up by a failed attempt starts from a new one. */
  async function flow(h: SimHolder, seen: Seen[]): Promise<string> {
    const c = w.client();
    for (let i = 0; i < 5 && !c.csrfToken; i++) {
      const ch = await call(c, seen, "challenge", "POST", "/api/renew/challenge", { json: { serial: h.serial } });
      if (ch.status !== 200) continue;
      const text = (ch.body as { challenge: string }).challenge;
      const login = await call(c, seen, "login", "POST", "/api/renew/login", {
        json: { challenge: text, signature: signChallenge(h.key, text) },
      });
      if (login.status === 200) c.csrfToken = (login.body as { csrfToken: string }).csrfToken;
    }
    // a step that met the outage is sent again (same Idempotency-Key) until the database is back
    const retry = async (send: () => Promise<{ status: number; body: unknown }>) => {
      let r = await send();
      for (const until = Date.now() + 45_000; r.status !== 200 && Date.now() < until; r = await send()) {
        await new Promise((res) => setTimeout(res, 250));
      }
      return r;
    };
    const handler = {
      handler: handlerFor(h.index),
      captchaId: "00000000-0000-4000-8000-000000000000",
      captchaAnswer: "test-bypass",
    };
    const draft = await retry(() =>
      call(c, seen, "handler", "POST", "/api/renew/handler", { json: handler, idempotent: true }),
    );
    const orderId = (draft.body as { id: string }).id;
    await retry(() =>
      call(c, seen, "confirm", "POST", "/api/renew/confirm", {
        json: { orderId, consent: CONSENT_VERSIONS },
        idempotent: true,
      }),
    );
    // opening the QR trade calls the Alipay emulator, which shares the database: while it is down the emulator
    // answers "system busy" (ALIPAY_* errors, 4xx/502) and the holder presses the button again
    const pay = await retry(() =>
      call(c, seen, "payment", "POST", "/api/renew/payment", { json: { orderId }, idempotent: true }),
    );
    if (pay.status !== 200)
      throw new Error(
        `payment never opened after the restart: ${pay.status} ${JSON.stringify(pay.body).slice(0, 200)}`,
      );
    const qr = new URL((pay.body as { qrCode: string }).qrCode);
    // the payer presses 付款 in Alipay again when the app said it failed (the emulator shares the database)
    await retry(() => call(c, seen, "sandbox-pay", "POST", `${qr.pathname}/confirm`));
    // the pay page polls the payment's status (which asks Alipay when no notification came) until it is paid
    const paid = async (tries: number) => {
      for (let i = 0; i < tries; i++) {
        const s = await call(c, seen, "payment-status", "GET", `/api/renew/payment?orderId=${orderId}`);
        if ((s.body as { paid?: boolean }).paid) return true;
        await new Promise((res) => setTimeout(res, 250));
      }
      return false;
    };
    await paid(80);
    const { key: newKey, csr } = newKeyAndCsr();
    const body = { orderId, csr: csr.toString("base64") };
    // on a loaded machine the payment may settle, and the database come back, a while after the steps above: the
    // holder presses 下证 again (a new challenge each time) until it goes through or 45 s have passed
    let serial = "";
    let last: { status: number; body: unknown } | undefined;
    for (const until = Date.now() + 45_000; !serial && Date.now() < until;) {
      const ic = await call(c, seen, "issue-challenge", "POST", "/api/renew/issue-challenge", { json: body });
      last = ic;
      if (ic.status === 200) {
        const challenge = (ic.body as { challenge: string }).challenge;
        const issued = await call(c, seen, "issue", "POST", "/api/renew/issue", {
          json: { ...body, challenge, signature: signChallenge(h.key, challenge) },
          idempotent: true,
        });
        last = issued;
        if (issued.status === 200) serial = (issued.body as { certificate: { serial: string } }).certificate.serial;
      }
      // still awaiting payment on a loaded machine: the holder is still on the pay page, which keeps polling
      if (!serial && last?.status === 409) await paid(4);
      if (!serial) await new Promise((res) => setTimeout(res, 250));
    }
    if (!serial)
      throw new Error(
        `下证 never went through after the restart: ${last?.status} ${JSON.stringify(last?.body)}; steps: ${seen
          .filter((x) => x.status !== 200)
          .map((x) => `${x.step} ${x.status} ${x.code ?? ""}`)
          .join(", ")}`,
      );
    const proof = await call(c, seen, "challenge", "POST", "/api/renew/challenge", { json: { serial } });
    const challenge = (proof.body as { challenge: string }).challenge;
    await call(c, seen, "installed", "POST", "/api/renew/installed", {
      json: { orderId, challenge, signature: signChallenge(newKey, challenge) },
      idempotent: true,
    });
    return orderId;
  }

  it(
    "answers 503 with Retry-After while the database is down, then the same requests succeed; nothing half-written",
    { timeout: 180_000 },
    async () => {
      // what the route wrapper logs for a 500 says which database error was not recognised as "unavailable"
      const internal: string[] = [];
      const child = log.child.bind(log);
      const spy = vi.spyOn(log, "child").mockImplementation((bindings, options) => {
        const l = child(bindings, options);
        const error = l.error.bind(l);
        l.error = ((obj: unknown, ...rest: unknown[]) => {
          const err = (obj as { err?: Error & { code?: string } }).err;
          if (err)
            internal.push(
              `${err.name} ${err.code ?? ""}: ${err.message.split("\n").filter(Boolean).slice(-1)[0]?.slice(0, 160)}`,
            );
          return (error as (o: unknown, ...r: unknown[]) => void)(obj, ...rest);
        }) as typeof l.error;
        return l;
      });
      const holders = await w.holders(6);
      const seen: Seen[] = [];
      const runs = holders.map((h, i) => new Promise((r) => setTimeout(r, i * 150)).then(() => flow(h, seen)));
      await new Promise((r) => setTimeout(r, 700));
      await cluster.stop();
      const before = seen.length;
      await new Promise((r) => setTimeout(r, 1500));
      const during = seen.length - before;
      await cluster.start();
      const orderIds = await Promise.all(runs);
      spy.mockRestore();

      const bad = seen.filter((s) => s.status >= 500 && !(s.status === 503 && s.retryAfter));
      const unavailable = seen.filter((s) => s.status === 503);
      const orders = await w.db.renewalOrder.findMany({ where: { id: { in: orderIds } } });
      const refused = [
        ...new Set(
          seen.filter((s) => s.status >= 400 && s.status !== 503).map((s) => `${s.step} ${s.status} ${s.code ?? ""}`),
        ),
      ];
      summary.note(
        `${seen.length} requests, ${unavailable.length} answered 503 + Retry-After while PostgreSQL restarted (${during} answered while it was down); other refusals: ${refused.join(", ") || "none"}`,
      );
      await summary.verify(
        w.db,
        "PostgreSQL restart mid-flow (6 holders)",
        1,
        [
          [
            `no 500, every 503 with Retry-After (${bad.map((s) => `${s.step} ${s.status} ${s.code ?? ""}`).join("; ")}; logged: ${[...new Set(internal)].join(" | ")})`,
            bad.length === 0,
          ],
          [
            `every holder finished after the restart (${orders.map((o) => o.state).join(",")})`,
            orders.length === 6 && orders.every((o) => o.state === "installed"),
          ],
          ["no route handler threw", w.crashes.length === 0],
        ],
        { orderIds },
      );
    },
  );
});
