import "@/tests/helpers/env";
import { mkdtempSync, rmSync } from "node:fs";
import os from "node:os";
import path from "node:path";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { useTestEnv } from "@/tests/helpers/env";
import { createTestDb, onPostgres } from "@/tests/helpers/db";
import { getConfig } from "@/lib/config";
import { systemClock } from "@/lib/clock";
import { openDb, type Db, type OpenDb } from "@/lib/db/client";
import { applyMigrations } from "@/lib/db/migrate";
import { ensureDefaultFeeTiers } from "@/lib/fees/tiers";
import { ensureDevCa, getCa, resetCa } from "@/lib/pki/ca";
import { recoverStuckOrders } from "@/lib/renewal/recovery";
import { resumeIssuance } from "@/lib/renewal/issue-order";
import { agent, HolderClient } from "@/lib/dev/sim/http";
import { newKeyAndCsr, registerHolders, signChallenge, type SimHolder } from "@/lib/dev/sim/holders";
import { issueAndInstall, runHolderFlow } from "@/lib/dev/sim/holder-flow";
import { freePort } from "@/lib/dev/sim/portal";
import { Recorder } from "@/lib/dev/sim/stats";
import { killAllServers, startServerProcess, type ServerProcess } from "./helpers/server-process";
import { useFaultSummary } from "./helpers/summary";
import { sandboxMerchantEnv } from "@/lib/dev/alipay-sandbox/keys";

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
  useTestEnv({
    DATA_DIR: dataDir,
    CA_DIR: path.join(dataDir, "ca"),
    PUBLIC_ORIGIN: base,
    TEST_CAPTCHA_BYPASS: "1",
    TRUST_PROXY: "1",
    ALIPAY_SANDBOX: "1",
    ...sandboxMerchantEnv(dataDir),
  });
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
    return registerHolders(db, ca, 10, { prefix: "断电" });
  });
  childEnv = { PORT: String(port), DATABASE_URL: pg?.url ?? "", JOBS_ENABLED: "0", LOG_LEVEL: "silent" };
});

afterAll(async () => {
  await killAllServers();
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

describe("server killed", () => {
  it(
    "SIGKILL between payment and 下证 and during 下证 requests: recovery finishes or flags, holders who return complete",
    { timeout: 240_000 },
    async () => {
      let server: ServerProcess = await startServerProcess(childEnv);
      const [back, gone, ...issuing] = holders;
      const a = await paid(back);
      const b = await paid(gone);
      const ready = await Promise.all(issuing.map(async (h) => ({ h, ...(await paid(h)), newKey: newKeyAndCsr() })));
      const signed = await Promise.all(
        ready.map(async (r) => {
          const body = { orderId: r.orderId, csr: r.newKey.csr.toString("base64") };
          const { challenge } = await r.client.ok<{ challenge: string }>("POST", "/api/renew/issue-challenge", {
            json: body,
          });
          return { ...r, body: { ...body, challenge, signature: signChallenge(r.h.key, challenge) } };
        }),
      );
      // 下证 requests staggered 25 ms apart; the process dies while some are in flight
      const inflight = signed.map(async (s, i) => {
        await new Promise((r) => setTimeout(r, i * 25));
        return s.client.request("POST", "/api/renew/issue", { json: s.body, idempotent: true }).catch((e: Error) => e);
      });
      if (pg) {
        // on PostgreSQL the test can watch: kill as soon as an order has entered issuing (CSR stored, not yet issued)
        const ids = ready.map((r) => r.orderId);
        const until = Date.now() + 5_000;
        while (
          Date.now() < until &&
          (await pg.prisma.renewalOrder.count({ where: { id: { in: ids }, state: "issuing" } })) === 0
        );
      } else {
        await new Promise((r) => setTimeout(r, 100));
      }
      await server.kill("SIGKILL");
      const answered = (await Promise.all(inflight)).filter((r) => !(r instanceof Error) && r.status === 200).length;

      const own: [string, boolean][] = [];
      const atKill = await withDb(async (db) => {
        const at = await db.renewalOrder.findMany({ where: { id: { in: ready.map((r) => r.orderId) } } });
        const ca = await getCa();
        const recovered = await recoverStuckOrders(db, systemClock, {
          stuckMinutes: 0,
          resume: (d, orderId, clock) => resumeIssuance(d, orderId, clock, ca),
        });
        const inIssuing = at.filter((o) => o.state === "issuing").length;
        const stillPaid = at.filter((o) => o.state === "paid").length;
        own.push([
          `recovery resumed every order left in issuing (${recovered.resumed}/${inIssuing})`,
          recovered.resumed === inIssuing,
        ]);
        own.push([
          `recovery flagged every paid order (${recovered.flagged}/${stillPaid + 2})`,
          recovered.flagged === stillPaid + 2,
        ]);
        const after = await db.renewalOrder.findMany({ where: { id: { in: ready.map((r) => r.orderId) } } });
        own.push([`nothing left in issuing after recovery`, after.every((o) => o.state !== "issuing")]);
        return {
          states: at.map((o) => o.state),
          issued: new Map(
            await Promise.all(
              after
                .filter((o) => o.issuedCertificateId)
                .map(
                  async (o) =>
                    [
                      o.id,
                      (await db.certificate.findUniqueOrThrow({ where: { id: o.issuedCertificateId! } })).serial,
                    ] as const,
                ),
            ),
          ),
        };
      });

      server = await startServerProcess(childEnv);
      const serialA = await issueAndInstall(a.client, back.key, a.orderId);
      for (const r of ready) {
        const serial = await issueAndInstall(r.client, r.h.key, r.orderId, r.newKey);
        const before = atKill.issued.get(r.orderId);
        own.push([
          `retry re-delivers the certificate issued before or by recovery (${before ?? "none"} → ${serial})`,
          before === undefined || before === serial,
        ]);
      }
      await server.kill("SIGTERM");

      await withDb(async (db) => {
        const ids = [a.orderId, b.orderId, ...ready.map((r) => r.orderId)];
        const orders = await db.renewalOrder.findMany({ where: { id: { in: ids } } });
        const left = orders.find((o) => o.id === b.orderId)!;
        const caught = atKill.states.filter((s) => s === "issuing").length;
        await summary.verify(
          db,
          `SIGKILL: 2 paid + ${ready.length} issuing (${caught} caught in issuing, ${answered} answered)`,
          1 + ready.length,
          [
            ...own,
            [
              "returning holder after the kill installed",
              orders.find((o) => o.id === a.orderId)?.state === "installed" && Boolean(serialA),
            ],
            [
              `holder who never returns: flagged paid_not_issued (${left.state}, ${left.flagReason})`,
              left.state === "paid" && left.flagged && left.flagReason === "paid_not_issued",
            ],
            [
              `every 下证 order installed (${orders.map((o) => o.state).join(",")})`,
              orders.filter((o) => o.id !== b.orderId).every((o) => o.state === "installed"),
            ],
          ],
          { orderIds: ids },
        );
      });
      expect(atKill.states.length).toBe(ready.length);
    },
  );
});
