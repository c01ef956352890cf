import { spawn, spawnSync, type ChildProcess } from "node:child_process";
import { existsSync, mkdtempSync, rmSync } from "node:fs";
import os from "node:os";
import path from "node:path";
import { afterAll, beforeAll, describe, expect, it, onTestFailed } from "vitest";
import { getConfig, resetConfig } from "@/lib/config";
import { loadDemoSecrets } from "@/lib/config/demo-secrets";
import { systemClock } from "@/lib/clock";
import { openDb, type OpenDb } from "@/lib/db/client";
import { ensureDefaultFeeTiers } from "@/lib/fees/tiers";
import { ensureDevCa, loadCa } from "@/lib/pki/ca";
import { verifyAuditChain } from "@/lib/audit";
import { agent, HolderClient } from "@/lib/dev/sim/http";
import { registerHolders, signChallenge, type SimHolder } from "@/lib/dev/sim/holders";
import { runHolderFlow, type FlowResult } from "@/lib/dev/sim/holder-flow";
import { PAYMENT_WAIT_MAX_S } from "@/lib/api/payment-wait";
import { freePort, freshDatabase } from "@/lib/dev/sim/portal";
import { Recorder } from "@/lib/dev/sim/stats";
import { sandboxMerchantEnv } from "@/lib/dev/alipay-sandbox/keys";
import { clusterUnavailable, createCluster, type Cluster } from "@/tests/faults/helpers/pg-cluster";
import { NGINX, startNginx, type Nginx } from "./nginx";

/**
 * As deployed: PostgreSQL, two portal instances started from the release folder (`node server.js`, nothing built)
 * on two ports, Debian's nginx in front with the production proxy headers and TRUST_PROXY=1. 200 holders go
 * through the whole wizard through nginx, each from its own loopback address (127.1.x.y) and each sending a forged
 * X-Forwarded-For. When a third of them have finished, one instance is SIGKILLed and started again. Then: every
 * holder finished (answers a browser would repeat — 502/503/504, a dropped connection — are sent again with the
 * same Idempotency-Key), no order lost or issued twice, sessions made before the kill work on both instances after
 * it, the audit chain verifies, and the audit log holds the addresses nginx saw, never the forged ones.
 *
 * Run by `npm test` (suite "cluster", which assembles the release into CLUSTER_RELEASE); PostgreSQL from
 * TEST_POSTGRES_URL, else a throwaway server of its own (root + /usr/lib/postgresql).
 */

const RELEASE = process.env.CLUSTER_RELEASE;
const HOLDERS = Number(process.env.CLUSTER_HOLDERS || 200);
const ARRIVE_MS = 20_000;
const FORGED = "203.0.113.66";
const why = !RELEASE
  ? "CLUSTER_RELEASE not set (npm test -- cluster assembles the release)"
  : !existsSync(path.join(RELEASE, "server.js"))
    ? `no release in ${RELEASE}`
    : !existsSync(NGINX)
      ? "nginx is not installed"
      : !process.env.TEST_POSTGRES_URL
        ? clusterUnavailable()
        : null;

const addrOf = (i: number) => `127.1.${Math.floor(i / 250)}.${(i % 250) + 1}`;
const sleep = (ms: number) => new Promise((r) => setTimeout(r, ms));

interface Instance {
  port: number;
  metricsPort: number;
  child: ChildProcess;
  output(): string;
}

let pgCluster: Cluster | undefined;
let database: { url: string; drop(): Promise<void> };
let dataDir: string;
let db: OpenDb;
let nginx: Nginx;
let env: Record<string, string>;
const instances: Instance[] = [];

async function startInstance(port: number, metricsPort: number): Promise<Instance> {
  let out = "";
  const child = spawn(process.execPath, ["server.js"], {
    cwd: RELEASE,
    env: {
      ...env,
      PORT: String(port),
      HOSTNAME: "127.0.0.1",
      METRICS_PORT: String(metricsPort),
    } as unknown as NodeJS.ProcessEnv,
    stdio: ["ignore", "pipe", "pipe"],
  });
  child.stdout!.on("data", (d: Buffer) => (out = (out + d.toString()).slice(-50_000)));
  child.stderr!.on("data", (d: Buffer) => (out = (out + d.toString()).slice(-50_000)));
  const until = Date.now() + 120_000;
  for (;;) {
    if (child.exitCode !== null) throw new Error(`instance on ${port} exited (${child.exitCode}):\n${out}`);
    try {
      const r = await fetch(`http://127.0.0.1:${port}/api/health`, { signal: AbortSignal.timeout(5000) });
      if (r.status === 200) break;
    } catch {
      // not listening yet
    }
    if (Date.now() > until) throw new Error(`instance on ${port} not ready:\n${out}`);
    await sleep(250);
  }
  return { port, metricsPort, child, output: () => out };
}

function stopInstance(i: Instance, signal: NodeJS.Signals = "SIGTERM"): Promise<void> {
  if (i.child.exitCode !== null || i.child.signalCode !== null) return Promise.resolve();
  const exited = new Promise<void>((r) => i.child.once("exit", () => r()));
  i.child.kill(signal);
  return Promise.race([exited, sleep(10_000).then(() => void i.child.kill("SIGKILL"))]);
}

describe.skipIf(Boolean(why))("cluster: release ×2 behind nginx on PostgreSQL, one instance SIGKILLed", () => {
  let holders: SimHolder[];
  let probe: SimHolder;

  beforeAll(async () => {
    const base = process.env.TEST_POSTGRES_URL || (pgCluster = createCluster(await freePort())).url;
    database = await freshDatabase(base, "certrenew_cluster");
    dataDir = mkdtempSync(path.join(os.tmpdir(), "certrenew-cluster-"));
    const nginxPort = await freePort();
    const ports = [await freePort(), await freePort()];
    // the instances' configuration: demo secrets and sandbox keys in the shared DATA_DIR, made once here
    const secrets = {} as NodeJS.ProcessEnv;
    loadDemoSecrets(dataDir, secrets);
    env = {
      PATH: process.env.PATH ?? "",
      NODE_ENV: "production",
      DEMO_MODE: "1",
      DATABASE_URL: database.url,
      DATABASE_POOL_SIZE: "8",
      DATA_DIR: dataDir,
      PUBLIC_ORIGIN: `http://127.0.0.1:${nginxPort}`,
      TRUST_PROXY: "1",
      TEST_CAPTCHA_BYPASS: "1",
      ALIPAY_SANDBOX: "1",
      JOBS_ENABLED: "1",
      PORTAL_PROCESSES: "1",
      RUN_MIGRATIONS: "0",
      LOG_LEVEL: "warn",
      ...(secrets as Record<string, string>),
    };
    // this process as a tool of the same portal: its CA and database
    for (const [k, v] of Object.entries({ ...env, ...sandboxMerchantEnv(dataDir) })) process.env[k] = v;
    delete process.env.ALIPAY_GATEWAY;
    resetConfig();
    const config = getConfig();
    await ensureDevCa(config.caDir, { algorithm: "P-256", passphrase: config.CA_KEY_PASSPHRASE! });
    // migrations by the release's own command, as a deploy step
    const migrate = spawnSync(process.execPath, ["scripts/migrate.mjs"], {
      cwd: RELEASE,
      env: env as NodeJS.ProcessEnv,
      encoding: "utf8",
    });
    if (migrate.status !== 0) throw new Error(`release migrate failed: ${migrate.stderr}${migrate.stdout}`);
    db = await openDb({ url: database.url, poolSize: 4 });
    await ensureDefaultFeeTiers(db.prisma, systemClock);
    const ca = await loadCa(config);
    const all = await registerHolders(db.prisma, ca, HOLDERS + 1, { prefix: "集群" });
    holders = all.slice(0, HOLDERS);
    probe = all[HOLDERS];
    for (const p of ports) instances.push(await startInstance(p, await freePort()));
    nginx = await startNginx(path.join(dataDir, "nginx"), nginxPort, ports, process.cwd());
  }, 300_000);

  afterAll(async () => {
    agent.destroy();
    await nginx?.stop();
    await Promise.all(instances.map((i) => stopInstance(i)));
    await db?.close();
    await database?.drop().catch(() => undefined);
    pgCluster?.destroy();
    if (dataDir) rmSync(dataDir, { recursive: true, force: true });
  });

  it("every holder finishes through nginx while an instance is SIGKILLed and restarted; nothing lost or doubled", async () => {
    onTestFailed(() => {
      for (const i of instances) console.log(`--- instance ${i.port}\n${i.output().slice(-4000)}`);
      console.log(`--- nginx\n${nginx.errors().slice(-2000)}`);
    });
    const client = (i: number) =>
      new HolderClient({
        base: nginx.base,
        localAddress: addrOf(i),
        forwardedFor: FORGED,
        retries: 60,
        retryDelayMs: 250,
        timeoutMs: 30_000,
      });

    // a session made before the kill
    const probeClient = client(HOLDERS);
    const { challenge } = await probeClient.ok<{ challenge: string }>("POST", "/api/renew/challenge", {
      json: { serial: probe.serial },
    });
    const login = await probeClient.ok<{ csrfToken: string }>("POST", "/api/renew/login", {
      json: { challenge, signature: signChallenge(probe.key, challenge) },
    });
    probeClient.csrfToken = login.csrfToken;

    const rec = new Recorder();
    const results: (FlowResult | null)[] = new Array(HOLDERS).fill(null);
    const failures: string[] = [];
    let finished = 0;
    let killedAt = -1;
    let restarted: Promise<void> | undefined;
    const victim = instances[0];
    const t0 = Date.now();
    await Promise.all(
      holders.map(async (h, i) => {
        await sleep(Math.random() * ARRIVE_MS);
        // a holder whose run broke before it had an order starts again, as a person would
        for (let attempt = 0; attempt < 3 && !results[i]; attempt++) {
          const c = client(i);
          try {
            // the payment page as it is: its status request held until the payment lands, on either instance
            results[i] = await runHolderFlow(c, h, rec, { qrWaitS: PAYMENT_WAIT_MAX_S, paidTimeoutMs: 120_000 });
          } catch (e) {
            failures.push(`holder ${i} attempt ${attempt}: ${e instanceof Error ? e.message : String(e)}`);
            const order = await db.prisma.renewalOrder.findFirst({ where: { certSerial: h.serial } });
            if (order) break;
          }
        }
        finished++;
        if (killedAt < 0 && finished >= HOLDERS / 3) {
          killedAt = nginx.seen().length;
          victim.child.kill("SIGKILL");
          restarted = (async () => {
            await new Promise((r) => victim.child.once("exit", r));
            await sleep(2000);
            instances[0] = await startInstance(victim.port, victim.metricsPort);
          })();
        }
      }),
    );
    await restarted;
    const wallS = (Date.now() - t0) / 1000;
    const completed = results.filter((r) => r?.completed.includes("installed")).length;
    console.log(
      `cluster: ${completed}/${HOLDERS} holders completed in ${wallS.toFixed(1)} s; requests sent again: ${rec.totalErrors} step errors, failures: ${failures.length}`,
    );
    if (failures.length) console.log(failures.slice(0, 10).join("\n"));

    expect(killedAt, "the kill happened mid-run").toBeGreaterThan(0);
    expect(completed, "every holder finished").toBe(HOLDERS);

    // the session made before the kill works on both instances afterwards (nginx alternates between them)
    const before = nginx.seen().length;
    for (let k = 0; k < 6; k++) {
      const r = await probeClient.request("GET", "/api/renew/summary");
      expect(r.status).toBe(200);
    }
    const probeLines = nginx
      .seen()
      .slice(before)
      .filter((l) => l.addr === addrOf(HOLDERS) && l.uri === "/api/renew/summary");
    expect(new Set(probeLines.map((l) => l.upstream.split(":").pop())).size).toBe(2);

    // the restarted instance took its share again
    const after = nginx.seen().slice(killedAt);
    expect(after.some((l) => l.upstream.endsWith(`:${victim.port}`) && l.status === 200)).toBe(true);

    // 0 lost orders: each holder has exactly one order, installed
    const orders = await db.prisma.renewalOrder.findMany({
      where: { certSerial: { in: holders.map((h) => h.serial) } },
      select: { id: true, certSerial: true, state: true },
    });
    expect(orders.length).toBe(HOLDERS);
    expect(orders.filter((o) => o.state !== "installed")).toEqual([]);
    // 0 double issuance: one new certificate per holder, each renewing that holder's certificate, and no other
    // certificate anywhere (the holders, the probe, and the renewals are all the registry holds)
    const renewals = await db.prisma.certificate.count({
      where: { previousId: { in: holders.map((h) => h.certificateId) } },
    });
    expect(renewals).toBe(HOLDERS);
    expect(await db.prisma.certificate.count()).toBe(2 * HOLDERS + 1);
    const issued = await db.prisma.renewalOrder.count({
      where: { certSerial: { in: holders.map((h) => h.serial) }, issuedCertificateId: { not: null } },
    });
    expect(issued).toBe(HOLDERS);

    // the audit chain verifies
    const chain = await verifyAuditChain(db.prisma);
    expect(chain.ok, `audit chain broken at ${String(chain.brokenAt)}`).toBe(true);

    // the client addresses in the audit log are the ones nginx saw, never what the clients claimed
    const bySerial = new Map(holders.map((h, i) => [h.serial, addrOf(i)]));
    const created = await db.prisma.auditEvent.findMany({
      where: { action: "order.created", targetId: { in: orders.map((o) => o.id) } },
      select: { targetId: true, ip: true },
    });
    expect(created.length).toBe(HOLDERS);
    const serialOf = new Map(orders.map((o) => [o.id, o.certSerial]));
    const wrong = created.filter((e) => e.ip !== bySerial.get(serialOf.get(e.targetId!)!));
    expect(wrong).toEqual([]);
    const seenAddrs = new Set(nginx.seen().map((l) => l.addr));
    for (const e of created) expect(seenAddrs.has(e.ip!)).toBe(true);
    expect(await db.prisma.auditEvent.count({ where: { ip: FORGED } })).toBe(0);

    // each instance's METRICS_PORT: its requests per route, and the orders as the database has them
    const survivor = instances[1];
    const text = await (await fetch(`http://127.0.0.1:${survivor.metricsPort}/metrics`)).text();
    expect(text).toMatch(
      /^certrenew_http_requests_total\{route="\/api\/renew\/issue",method="POST",status="200"\} \d+$/m,
    );
    expect(text).toContain(`certrenew_orders{state="installed"} ${HOLDERS}`);
    expect(text).toMatch(/^certrenew_paid_not_issued_oldest_seconds 0$/m);
  }, 600_000);
});
