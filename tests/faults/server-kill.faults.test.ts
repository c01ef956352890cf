import "@/tests/helpers/env";
import { mkdtempSync, rmSync } from "node:fs";
import os from "node:os";
import path from "node:path";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { useTestEnv } from "@/tests/helpers/env";
import { createTestDb, onPostgres } from "@/tests/helpers/db";
import { getConfig } from "@/lib/config";
import { systemClock } from "@/lib/clock";
import { openDb, type Db, type OpenDb } from "@/lib/db";
import { applyMigrations } from "@/lib/db/migrate";
import { ensureDefaultFeeTiers } from "@/lib/fees/tiers";
import { ensureDevCa, getCa, resetCa } from "@/lib/pki/ca";
import { recoverStuckOrders } from "@/lib/orders/recovery";
import { agent, HolderClient } from "@/bench/lib/http";
import { newKeyAndCsr, registerHolders, signChallenge, type SimHolder } from "@/bench/lib/holders";
import { runHolderFlow } from "@/bench/lib/holder-flow";
import { freePort } from "@/bench/lib/portal";
import { Recorder } from "@/bench/lib/stats";
import { startServerProcess, type ServerProcess } from "./helpers/server-process";
import { useFaultSummary } from "./helpers/summary";

/**
 * The server process is SIGKILLed between payment and 下证, and in the middle of 下证 requests; it is started
 * again on the same database (PGlite files in DATA_DIR, or PostgreSQL with DATABASE_URL). The recovery job then
 * finishes what was left in `issuing` and flags what only the holder can finish; holders who come back complete.
 */

const summary = useFaultSummary("server killed (SIGKILL)");
let dataDir: string;
let base: string;
let childEnv: Record<string, string>;
let pg: (OpenDb & { url?: string }) | undefined;
let holders: SimHolder[] = [];
let next = 0;

/** The database, opened by the test only while no server process holds it (PGlite is single-process). */
async function withDb<T>(fn: (db: Db) => Promise<T>): Promise<T> {
  if (pg) return fn(pg.prisma as Db);
  const o = await openDb({ pgliteDir: path.join(dataDir, "pglite") });
  try {
    return await fn(o.prisma as Db);
  } finally {
    await o.close();
  }
}

beforeAll(async () => {
  const port = await freePort();
  base = `http://127.0.0.1:${port}`;
  dataDir = mkdtempSync(path.join(os.tmpdir(), "certrenew-kill-"));
  useTestEnv({ DATA_DIR: dataDir, CA_DIR: path.join(dataDir, "ca"), PUBLIC_ORIGIN: base, TEST_CAPTCHA_BYPASS: "1", TRUST_PROXY: "1", ALIPAY_SANDBOX: "1" });
  delete process.env.ALIPAY_GATEWAY;
  delete process.env.ALIPAY_NOTIFY_URL;
  if (onPostgres) {
    pg = await createTestDb();
  } else {
    const o = await openDb({ pgliteDir: path.join(dataDir, "pglite") });
    await applyMigrations({ pglite: o.pglite! });
    await o.close();
  }
  await ensureDevCa(getConfig().caDir, { algorithm: "P-256", passphrase: getConfig().CA_KEY_PASSPHRASE! });
  resetCa();
  const ca = await getCa();
  holders = await withDb(async (db) => {
    await ensureDefaultFeeTiers(db, systemClock);
    return registerHolders(db, ca, 12, { prefix: "断电" });
  });
  childEnv = { PORT: String(port), DATABASE_URL: pg?.url ?? "", JOBS_ENABLED: "0", LOG_LEVEL: "silent" };
});

afterAll(async () => {
  agent.destroy();
  await pg?.close();
  resetCa();
  rmSync(dataDir, { recursive: true, force: true });
});

const client = () => new HolderClient({ base, forwardedFor: `10.7.0.${++next}`, timeoutMs: 20_000 });

async function paid(h: SimHolder): Promise<{ client: HolderClient; orderId: string }> {
  const c = client();
  const r = await runHolderFlow(c, h, new Recorder(), { until: "invoice-skip", pollMs: 50 });
  return { client: c, orderId: r.orderId! };
}

/** 下证 with a given CSR (the key pair stays on the token between attempts), then the install confirmation. */
async function issueAndInstall(c: HolderClient, h: SimHolder, orderId: string, csr: Buffer): Promise<string> {
  const body = { orderId, csr: csr.toString("base64") };
  const { challenge } = await c.ok<{ challenge: string }>("POST", "/api/renew/issue-challenge", { json: body });
  const r = await c.ok<{ certificate: { serial: string } }>("POST", "/api/renew/issue", { json: { ...body, challenge, signature: signChallenge(h.key, challenge) }, idempotent: true });
  await c.ok("POST", "/api/renew/installed", { json: { orderId }, idempotent: true });
  return r.certificate.serial;
}

describe("server killed", () => {
  it("between payment and 下证: a returning holder finishes; one who does not is flagged by the recovery job", async () => {
    let server: ServerProcess = await startServerProcess(childEnv);
    const [back, gone] = [holders[0], holders[1]];
    const a = await paid(back);
    const b = await paid(gone);
    await server.kill("SIGKILL");

    server = await startServerProcess(childEnv);
    const serial = await issueAndInstall(a.client, back, a.orderId, newKeyAndCsr().csr);
    await server.kill("SIGTERM");

    await withDb(async (db) => {
      const recovered = await recoverStuckOrders(db, systemClock, { stuckMinutes: 0 });
      const left = await db.renewalOrder.findUniqueOrThrow({ where: { id: b.orderId } });
      const done = await db.renewalOrder.findUniqueOrThrow({ where: { id: a.orderId } });
      await summary.verify(db, "SIGKILL between payment and 下证", 1, [
        ["returning holder's order installed with its certificate", done.state === "installed" && Boolean(serial)],
        [`unfinished paid order flagged paid_not_issued (${left.state}, ${left.flagReason})`, left.state === "paid" && left.flagged && left.flagReason === "paid_not_issued"],
        ["recovery flagged exactly that one", recovered.flagged === 1 && recovered.resumed === 0],
      ], { orderIds: [a.orderId, b.orderId] });
    });
  });

  it("during 下证: orders caught in issuing are finished by the recovery job; retries get the same certificate", async () => {
    const rounds: { delayMs: number; states: string[] }[] = [];
    const orderIds: string[] = [];
    const violations: [string, boolean][] = [];
    let seenIssuing = 0;
    for (const delayMs of [15, 60, 150]) {
      let server = await startServerProcess(childEnv);
      const group = holders.slice(2 + rounds.length * 3, 5 + rounds.length * 3);
      const ready = await Promise.all(group.map(async (h) => ({ h, ...(await paid(h)), csr: newKeyAndCsr().csr })));
      const signed = await Promise.all(
        ready.map(async (r) => {
          const body = { orderId: r.orderId, csr: r.csr.toString("base64") };
          const { challenge } = await r.client.ok<{ challenge: string }>("POST", "/api/renew/issue-challenge", { json: body });
          return { ...r, body: { ...body, challenge, signature: signChallenge(r.h.key, challenge) } };
        }),
      );
      const inflight = signed.map((s) => s.client.request("POST", "/api/renew/issue", { json: s.body, idempotent: true }).catch((e: Error) => e));
      await new Promise((r) => setTimeout(r, delayMs));
      await server.kill("SIGKILL");
      await Promise.all(inflight);

      const states = await withDb(async (db) => {
        const at = await db.renewalOrder.findMany({ where: { id: { in: ready.map((r) => r.orderId) } } });
        const recovered = await recoverStuckOrders(db, systemClock, { stuckMinutes: 0 });
        const issuing = at.filter((o) => o.state === "issuing").length;
        violations.push([`recovery resumed every order left in issuing (${recovered.resumed}/${issuing})`, recovered.resumed === issuing]);
        return at.map((o) => o.state);
      });
      seenIssuing += states.filter((s) => s === "issuing").length;
      rounds.push({ delayMs, states });

      server = await startServerProcess(childEnv);
      for (const r of ready) {
        const before = await withDbWhileServing(r.orderId);
        const serial = await issueAndInstall(r.client, r.h, r.orderId, r.csr);
        violations.push([`retry re-delivers the recovered certificate (${before ?? "none"} → ${serial})`, before === null || before === serial]);
        orderIds.push(r.orderId);
      }
      await server.kill("SIGTERM");
      if (seenIssuing > 0) break;
    }
    await withDb(async (db) => {
      const orders = await db.renewalOrder.findMany({ where: { id: { in: orderIds } } });
      await summary.verify(db, `SIGKILL during 下证 (${rounds.length} kills, ${seenIssuing} caught issuing)`, rounds.length, [
        ...violations,
        [`every order installed (${orders.map((o) => o.state).join(",")})`, orders.every((o) => o.state === "installed")],
      ], { orderIds });
    });
    expect(rounds.length).toBeGreaterThan(0);
  });
});

/** The serial already issued for an order, read over HTTP-free means only on PostgreSQL (PGlite is held by the server). */
async function withDbWhileServing(orderId: string): Promise<string | null> {
  if (!pg) return null;
  const o = await pg.prisma.renewalOrder.findUniqueOrThrow({ where: { id: orderId } });
  if (!o.issuedCertificateId) return null;
  return (await pg.prisma.certificate.findUniqueOrThrow({ where: { id: o.issuedCertificateId } })).serial;
}
