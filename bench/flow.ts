import { existsSync, mkdirSync, rmSync } from "node:fs";
import http from "node:http";
import os from "node:os";
import path from "node:path";
import { parseArgs } from "node:util";
import { openDb } from "../lib/db/client";
import { loadCa } from "../lib/pki/ca";
import { verifyAuditChain } from "../lib/audit";
import { HolderClient, Traffic, agent } from "../lib/dev/sim/http";
import { registerHolders } from "../lib/dev/sim/holders";
import { runHolderFlow, type FlowResult, type FlowStep } from "../lib/dev/sim/holder-flow";
import { freshDatabase, startPortal } from "../lib/dev/sim/portal";
import { dbCpu, machineTicks, portalCpu, referenceWorkMs, selfCpuNs, spent } from "./lib/cpu";
import { flowPortalEnv, useConfigOf } from "./lib/env";
import { Recorder, commandLine, machine, ms, percentile, statsTable } from "../lib/dev/sim/stats";
import { PAYMENT_WAIT_MAX_S } from "../lib/api/payment-wait";
import { API_CONCURRENCY_DEFAULT } from "../lib/runtime/gate";

/**
 * `npx tsx bench/flow.ts [--holders 500] [--pace human|none] [--arrive SECONDS] [--processes N] [--qr-polls wait|on|off]
 *                        [--db postgresql://…/postgres] [--root DIR] [--cpu-prof DIR] [--port N] [--stall SECONDS] [--seed N]
 *                        [--warmup HOLDERS]`
 *
 * N simulated holders at once through the whole holder API (challenge, login, summary, captcha with the test
 * bypass, handler, confirm, Alipay sandbox payment, notification, invoice skip, 下证 with CSR + PoP, install
 * confirmation) against `next start` on a fresh PostgreSQL database, started by `scripts/start.ts` in demo mode
 * with TEST_CAPTCHA_BYPASS=1 and the background jobs on (not the installer's one-time build: ASSISTANT_PACK=0).
 * Prints p50/p95/p99 per step and the error count, with a static page at the same concurrency as the baseline; the
 * answers slower than 250 ms by the second they were asked in, with how busy the machine was then; the machine's busy
 * share by 10 s of the run; and the CPU each side spent per renewal.
 * Goal: p99 < 250 ms per step, 0 errors.
 *
 * `--pace human` (default): each holder arrives at a random moment within `--arrive` seconds (default 60) and
 * then takes the time a person takes before each request (HUMAN_PAUSES_S below: typing the PIN, filling in the
 * handler form, scanning the QR code with a phone, the token making its key). The payment page waits for the payment
 * as the wizard does, from the moment the QR code is shown: one status request at a time, held by the portal up to
 * 10 s and answered when the payment lands ("payment-wait": a wait, left out of the worst step; "payment-status":
 * from the phone's payment until the page knows). `--qr-polls on`: the page of 2026-12-04, a poll every 2 s
 * ("payment-poll"); `--qr-polls off`: polls only once paid, as the bench did before that. All N holders are inside
 * the flow at the same time for most of the run.
 * `--pace none`: every holder fires its next request the moment the last one answers, all starting together:
 * a stress test of capacity (N requests always in flight), not a model of holders.
 *
 * `--pages`: each holder's browser asks for the wizard's pages too, as chromium does (lib/dev/sim/pages.ts): the first
 * page as a document with its scripts and style sheets (an empty cache), the key list's marks, and the summary for
 * each page after the sign-in, which the wizard draws in the browser (the details page's summary is the flow's own
 * summary step). Without it, the API alone.
 *
 * Before the run, `--warmup` holders (default 5, enough to load every route) go through the flow all at once, not
 * counted: `--warmup 1000` measures a portal whose JIT has optimised the hot code, as in service after its first
 * minute, and prints the warm-up's own renewals/s beside it (the cold portal's figure, same run).
 *
 * Each holder has its own connections (a browser's). A request without an answer fails after twice the 60 s socket
 * timeout, counted from when it was made, and when no holder request is sent or answered for `--stall` seconds
 * (default 150: longer than any pause and any request's deadline) the run fails, printing where every holder is and which requests are open.
 */

/** Answers slower than this are listed by the second they were asked in (slowSeconds). */
const SLOW_MS = 250;

/** [min, max] seconds a person spends before each request of the wizard (uniformly drawn). */
const HUMAN_PAUSES_S: Record<FlowStep, [number, number]> = {
  challenge: [0, 0], // arrival is spread by --arrive
  login: [3, 8], // types the PIN
  summary: [0, 0.5], // the page loads right after the sign-in
  captcha: [0, 0.5],
  handler: [20, 60], // handler's name, ID number, phone and e-mail, and the captcha
  confirm: [5, 15], // reads the application form
  payment: [1, 3],
  "sandbox-pay": [10, 30], // scans the QR code and pays on the phone
  "payment-status": [0, 0],
  "payment-poll": [0, 0], // the page polls by itself
  "payment-wait": [0, 0],
  "invoice-skip": [3, 10],
  "issue-challenge": [1, 3], // clicks 下证
  issue: [1, 3], // the token makes its new key and signs
  installed: [1, 2], // the token writes the certificate
  // --pages: each page loads as soon as the answer before it arrives (the key list's marks with the first page)
  "page /renew": [0, 0],
  renewability: [0, 0],
  "page details": [0, 0],
  "page review": [0, 0],
  "page pay": [0, 0],
  "page invoice": [0, 0],
  "page issue": [0, 0],
  "page done": [0, 0],
};

const { values: args } = parseArgs({
  options: {
    holders: { type: "string", default: "500" },
    db: {
      type: "string",
      default:
        process.env.BENCH_DATABASE_URL ?? process.env.DATABASE_URL ?? "postgresql://postgres@127.0.0.1:55432/postgres",
    },
    root: { type: "string", default: process.cwd() },
    "cpu-prof": { type: "string" },
    // the holders' arrivals and pauses (--pace human): the same seed, the same people
    seed: { type: "string", default: "1" },
    pool: { type: "string" },
    processes: { type: "string" },
    port: { type: "string" },
    pace: { type: "string", default: "human" },
    "qr-polls": { type: "string", default: "wait" },
    arrive: { type: "string", default: "60" },
    keep: { type: "boolean", default: false },
    // holders through the whole flow at full concurrency before the run, not counted: the portal's JIT warm
    warmup: { type: "string", default: "5" },
    // the browser's page requests too (lib/dev/sim/pages.ts), not only the API
    pages: { type: "boolean", default: false },
    stall: { type: "string", default: "150" },
    quiet: { type: "boolean", default: true },
  },
});

const N = Number(args.holders);
const WARMUP = Number(args.warmup);
if (!Number.isSafeInteger(WARMUP) || WARMUP < 1) throw new Error("--warmup is a whole number of holders, at least 1");
const HUMAN = args.pace === "human";
const ARRIVE_S = Number(args.arrive);
if (!HUMAN && args.pace !== "none") throw new Error("--pace is human or none");
const sleep = (s: number) => new Promise<void>((r) => setTimeout(r, s * 1000));
const SEED = Number(args.seed);
if (!Number.isSafeInteger(SEED)) throw new Error("--seed is an integer");

/**
 * Each holder's own random numbers (mulberry32, seeded by --seed and the holder's number): its arrival and its pauses
 * are the same in every run with the same seed, whatever order the holders happen to reach their steps in, so two
 * versions of the portal (or two settings) can be measured against the same people.
 */
function randomFor(holder: number): () => number {
  let a = (Math.imul(SEED ^ 0x9e3779b9, 0x85ebca6b) + Math.imul(holder + 1, 0xc2b2ae35)) >>> 0;
  return () => {
    a = (a + 0x6d2b79f5) >>> 0;
    let t = Math.imul(a ^ (a >>> 15), a | 1);
    t ^= t + Math.imul(t ^ (t >>> 7), t | 61);
    return ((t ^ (t >>> 14)) >>> 0) / 4294967296;
  };
}
const randoms = new Map<number, () => number>();
const random = (holder: number) => {
  let r = randoms.get(holder);
  if (!r) randoms.set(holder, (r = randomFor(holder)));
  return r();
};
const between = (holder: number, [min, max]: [number, number]) => min + random(holder) * (max - min);
const STALL_S = Number(args.stall);

/** Where each holder of the run is (the step it thinks before or waits on, since when): printed when the run stalls. */
const traffic = new Traffic();
const whereabouts = new Map<number, { what: string; since: number }>();
const at = (holder: number, what: string) => whereabouts.set(holder, { what, since: performance.now() });
const thinkFor = (holder: number) => async (step: FlowStep) => {
  if (HUMAN) {
    at(holder, `thinking before ${step}`);
    await sleep(between(holder, HUMAN_PAUSES_S[step]));
  }
  at(holder, `waiting on ${step}`);
};

/**
 * Rejects when no request was sent or answered for STALL_S seconds while holders are still inside the flow (no
 * human pause is that long and every request times out before): a bench that stops making progress fails with
 * what each holder and each open request was waiting for, instead of hanging.
 */
function stallWatch(): { stalled: Promise<never>; stop(): void } {
  let timer: NodeJS.Timeout | undefined;
  const stalled = new Promise<never>((_, reject) => {
    timer = setInterval(() => {
      const now = performance.now();
      const idle = (now - Math.max(traffic.lastSentAt, traffic.lastAnswerAt)) / 1000;
      if (whereabouts.size === 0 || idle < STALL_S) return;
      const groups = new Map<string, { n: number; oldest: number }>();
      for (const { what, since } of whereabouts.values()) {
        const g = groups.get(what) ?? { n: 0, oldest: now };
        groups.set(what, { n: g.n + 1, oldest: Math.min(g.oldest, since) });
      }
      const holders = [...groups].map(
        ([what, g]) => `${g.n} ${what} (longest ${((now - g.oldest) / 1000).toFixed(0)} s)`,
      );
      const open = [...traffic.pending].map(
        (r) =>
          `${r.method} ${r.path} ${r.connected ? "sent" : "queued in the agent"} ${((now - r.since) / 1000).toFixed(0)} s ago`,
      );
      reject(
        new Error(
          [
            `STALLED: no request sent or answered for ${idle.toFixed(0)} s with ${whereabouts.size} holders inside the flow (${traffic.answered} requests answered in all)`,
            `holders: ${holders.join("; ")}`,
            `requests in flight: ${open.length}${open.length ? `\n  ${open.slice(0, 20).join("\n  ")}` : ""}`,
          ].join("\n"),
        ),
      );
    }, 5_000);
  });
  stalled.catch(() => undefined);
  return { stalled, stop: () => clearInterval(timer) };
}
const root = path.resolve(args.root!);
if (!existsSync(path.join(root, "scripts/start.ts"))) throw new Error(`not a CertRenew checkout: ${root}`);

console.log(`$ ${commandLine()}`);
console.log(`date ${new Date().toISOString()}  machine ${machine()}`);

const database = await freshDatabase(args.db!);
const portalEnv = flowPortalEnv(database.url);
if (args.pool) portalEnv.DATABASE_POOL_SIZE = args.pool;
// unset: the portal's own default, one process per core on PostgreSQL
if (args.processes) portalEnv.PORTAL_PROCESSES = args.processes;
if (args["cpu-prof"]) {
  portalEnv.CERTRENEW_CPU_PROF_DIR = path.resolve(args["cpu-prof"]);
  mkdirSync(portalEnv.CERTRENEW_CPU_PROF_DIR, { recursive: true });
}
const t0 = performance.now();
const portal = await startPortal({
  root,
  port: args.port ? Number(args.port) : undefined,
  env: portalEnv,
  quiet: args.quiet,
  nodeOptions: args["cpu-prof"] ? `--require ${path.resolve(import.meta.dirname, "lib/cpu-profile.cjs")}` : undefined,
}).catch(async (e: unknown) => {
  await database.drop();
  throw e;
});
console.log(
  `portal ${portal.base} ready in ${((performance.now() - t0) / 1000).toFixed(1)} s (PostgreSQL ${new URL(database.url).pathname.slice(1)})`,
);

let exitCode = 0;
let referenceBefore: number | undefined;
try {
  const config = useConfigOf(portal, database.url);
  const ca = await loadCa(config);
  const db = await openDb({ url: database.url });
  let t = performance.now();
  const holders = await registerHolders(db.prisma, ca, N + WARMUP);
  console.log(`registered ${holders.length} holder certificates in ${((performance.now() - t) / 1000).toFixed(1)} s`);
  const warm = holders.slice(N);
  const load = holders.slice(0, N);

  // warm-up: the first requests load each route's modules, the next thousands let V8 optimise the hot code (a
  // portal in service has long done both); not counted, but printed: a cold portal's figure, in the same run
  const warmRec = new Recorder();
  t = performance.now();
  const warmed = await Promise.all(
    warm.map(async (h) => {
      const browser = new http.Agent({ keepAlive: true, maxSockets: 6 });
      const client = new HolderClient({
        base: portal.base,
        forwardedFor: `198.51.100.${h.index % 250}`,
        agent: browser,
      });
      try {
        return (await runHolderFlow(client, h, warmRec, { pollMs: 250, pages: args.pages })).completed.includes(
          "installed",
        );
      } finally {
        browser.destroy();
      }
    }),
  );
  if (WARMUP > 5) {
    const s = (performance.now() - t) / 1000;
    const done = warmed.filter(Boolean).length;
    console.log(
      `warm-up (not counted): ${done}/${WARMUP} holders at once through the flow in ${s.toFixed(1)} s (${(done / s).toFixed(1)} renewals/s, a cold portal), errors ${warmRec.totalErrors}`,
    );
  }

  // baseline: a static page at the same concurrency
  const base = new Recorder();
  const anon = new HolderClient({ base: portal.base });
  const staticPage = () =>
    base
      .time("static page GET /faq", () => anon.ok("GET", "/faq", { headers: { accept: "text/html" } }))
      .catch(() => undefined);
  // stress: N at once before the run; human pace: one every 2 s during the run, so it meets the same load
  if (!HUMAN) await Promise.all(Array.from({ length: N }, staticPage));
  let running = true;
  const sampler = HUMAN
    ? (async () => {
        while (running) await Promise.all([staticPage(), sleep(2)]);
      })()
    : undefined;

  const rec = new Recorder(SLOW_MS);
  const results: (FlowResult | null)[] = [];
  const cpuReading = () => ({ portal: portalCpu(), db: dbCpu(), self: selfCpuNs(), machine: machineTicks() });
  referenceBefore = referenceWorkMs();
  const cpu0 = cpuReading();
  t = performance.now();
  const startedAt = Date.now();
  const lag = watchOwnLoop(startedAt);
  // how many holders are inside the flow at once (sampled every second)
  let inside = 0;
  let peakInside = 0;
  const insideSamples: number[] = [];
  // and how busy the whole machine was in each second of the run (from /proc/stat): is a burst of slow answers the
  // machine saturated at the peak, or a stall on a machine with room to spare?
  const busyBySecond: number[] = [];
  let ticksThen = machineTicks();
  const counter = setInterval(() => {
    insideSamples.push(inside);
    const now = machineTicks();
    busyBySecond.push((now.busy - ticksThen.busy) / Math.max(1, now.total - ticksThen.total));
    ticksThen = now;
  }, 1000);
  const watch = stallWatch();
  const holdersDone = Promise.all(
    load.map(async (h) => {
      if (HUMAN) await sleep(random(h.index) * ARRIVE_S);
      // each holder is a browser with its own connections (not a share of one pool: queueing in the bench's
      // agent would count as the portal's latency)
      const browser = new http.Agent({ keepAlive: true, maxSockets: 6 });
      const client = new HolderClient({
        base: portal.base,
        forwardedFor: `10.${(h.index >> 16) & 255}.${(h.index >> 8) & 255}.${h.index & 255}`,
        traffic,
        agent: browser,
      });
      inside++;
      peakInside = Math.max(peakInside, inside);
      try {
        results.push(
          await runHolderFlow(client, h, rec, {
            pollMs: HUMAN ? 2000 : 1000,
            qrWaitS: args["qr-polls"] === "wait" ? PAYMENT_WAIT_MAX_S : undefined,
            qrPollMs: HUMAN && args["qr-polls"] === "on" ? 2000 : undefined,
            paidTimeoutMs: 120_000,
            think: thinkFor(h.index),
            pages: args.pages,
          }),
        );
      } catch {
        results.push(null);
      } finally {
        inside--;
        whereabouts.delete(h.index);
        browser.destroy();
      }
    }),
  );
  try {
    await Promise.race([holdersDone, watch.stalled]);
  } finally {
    watch.stop();
  }
  clearInterval(counter);
  running = false;
  await sampler;
  const wall = (performance.now() - t) / 1000;
  const cpu1 = cpuReading();
  const requests = rec.stats().reduce((n, s) => n + s.count, 0);
  const completed = results.filter((r) => r?.completed.includes("installed")).length;
  const paid = results.flatMap((r) => (r?.timeToPaidMs === undefined ? [] : [r.timeToPaidMs])).sort((a, b) => a - b);

  console.log(
    `\n${N} holders${args.pages ? " with the pages (--pages)" : ", the API alone"}, pace ${HUMAN ? `human (arrivals over ${ARRIVE_S} s)` : "none (stress: every holder's next request as soon as the last answers)"}, portal processes ${args.processes ?? `${os.availableParallelism()} (default: one per core)`}, API requests begun at once per process ${process.env.PORTAL_API_CONCURRENCY || `${API_CONCURRENCY_DEFAULT} (default)`}${HUMAN ? `, seed ${SEED}` : ""}`,
  );
  console.log(
    `whole flow: ${completed}/${N} completed in ${wall.toFixed(1)} s (${(completed / wall).toFixed(1)} renewals/s, ${(requests / wall).toFixed(0)} requests/s); holders inside the flow at once: peak ${peakInside}, ${insideSamples.filter((n) => n >= N * 0.9).length} s at ≥ 90 % of ${N}`,
  );
  console.log(statsTable([...base.stats(), ...rec.stats()]));
  lag.stop();
  console.log(slowSeconds(rec, startedAt, lag.bySecond, busyBySecond));
  console.log(busyTimeline(busyBySecond));
  // where the machine's CPU went during the run, per completed renewal
  const perRenewal = (ns: number) => `${(ns / 1e6 / Math.max(1, completed)).toFixed(1)} ms`;
  const ticks = { busy: cpu1.machine.busy - cpu0.machine.busy, total: cpu1.machine.total - cpu0.machine.total };
  console.log(
    `CPU per renewal during the run: portal ${perRenewal(spent(cpu0.portal, cpu1.portal))} (${cpu1.portal.size} processes), PostgreSQL ${perRenewal(spent(cpu0.db, cpu1.db))} (every process of the server), this bench ${perRenewal(cpu1.self - cpu0.self)}; machine busy ${((100 * ticks.busy) / Math.max(1, ticks.total)).toFixed(0)} % of ${os.availableParallelism()} cores`,
  );
  console.log(
    `payment → paid (notification or query): p50 ${ms(percentile(paid, 50))} ms, p99 ${ms(percentile(paid, 99))} ms`,
  );
  // a held status request is the page waiting for the holder's phone, not an answer's latency
  const worst = rec.stats().reduce((m, s) => (s.step === "payment-wait" ? m : Math.max(m, s.p99)), 0);
  console.log(`errors: ${rec.totalErrors}${rec.errorSamples.length ? `\n  ${rec.errorSamples.join("\n  ")}` : ""}`);
  if (rec.totalErrors > 0) {
    // the portal's own account of its 5xx answers (pino JSON lines at level error)
    const reasons = new Map<string, number>();
    for (const line of portal.output().split("\n")) {
      if (!line.startsWith("{") || !line.includes('"level":50')) continue;
      try {
        const entry = JSON.parse(line) as { msg?: string; err?: { type?: string; message?: string } };
        const key = `${entry.msg}: ${entry.err?.type ?? ""} ${(entry.err?.message ?? "").split("\n").filter(Boolean).slice(-1)[0]?.slice(0, 200) ?? ""}`;
        reasons.set(key, (reasons.get(key) ?? 0) + 1);
      } catch {
        // not a log line
      }
    }
    for (const [reason, n] of reasons) console.log(`  portal log ×${n}: ${reason}`);
  }
  console.log(
    `worst step p99: ${ms(worst)} ms (goal < 250 ms) → ${worst < 250 && rec.totalErrors === 0 ? "met" : "MISSED"}`,
  );

  // the run must leave a consistent database
  const orders = await db.prisma.renewalOrder.groupBy({ by: ["state"], _count: true });
  const chain = await verifyAuditChain(db.prisma);
  const dupes = await db.prisma.$queryRaw<
    { n: bigint }[]
  >`SELECT count(*) AS n FROM (SELECT "previousId" FROM "Certificate" WHERE "previousId" IS NOT NULL GROUP BY "previousId" HAVING count(*) > 1) d`;
  console.log(
    `orders by state: ${orders.map((o) => `${o.state} ${o._count}`).join(", ")}; audit chain ${chain.ok ? "verifies" : `BROKEN at ${chain.brokenAt}`} (${chain.checked} events); renewals issued twice: ${Number(dupes[0].n)}`,
  );
  if (rec.totalErrors > 0 || !chain.ok) exitCode = 1;
  await db.close();
} catch (e) {
  console.error(e);
  console.error(portal.output().slice(-4000));
  exitCode = 1;
} finally {
  agent.destroy();
  await portal.stop();
  if (!args.keep) {
    await database.drop();
    rmSync(portal.dataDir, { recursive: true, force: true });
  }
  // after the portal stopped: its jobs and PostgreSQL's background work right after a run would weigh on the figure
  if (referenceBefore !== undefined)
    console.log(
      `machine reference (a fixed piece of work in this process's CPU, bench/lib/cpu.ts; lower is a faster stretch): ${referenceBefore.toFixed(1)} ms before the run, ${referenceWorkMs().toFixed(1)} ms after it`,
    );
  if (args["cpu-prof"]) console.log(`CPU profile of next start in ${path.resolve(args["cpu-prof"])}`);
}
process.exit(exitCode);

/**
 * When the slow answers were asked, by second of the run: a stall (every request of one second slow at once) reads
 * differently from a queue that builds up over the peak. The held status requests are waits, not answers: left out.
 */
function slowSeconds(rec: Recorder, startedAt: number, benchLate: Map<number, number>, busy: number[]): string {
  const bySecond = new Map<number, { n: number; max: number; steps: Set<string> }>();
  for (const s of rec.slow) {
    if (s.step === "payment-wait") continue;
    const second = Math.floor((s.at - startedAt) / 1000);
    const b = bySecond.get(second) ?? { n: 0, max: 0, steps: new Set<string>() };
    b.n++;
    b.max = Math.max(b.max, s.ms);
    b.steps.add(s.step);
    bySecond.set(second, b);
  }
  if (!bySecond.size) return `answers slower than ${SLOW_MS} ms: none`;
  const worst = [...bySecond.entries()].sort((a, b) => b[1].n - a[1].n).slice(0, 12);
  const total = [...bySecond.values()].reduce((n, b) => n + b.n, 0);
  return [
    `answers slower than ${SLOW_MS} ms: ${total}, asked in ${bySecond.size} of the run's seconds; the busiest seconds:`,
    ...worst
      .sort((a, b) => a[0] - b[0])
      .map(
        ([second, b]) =>
          `  t+${second} s: ${b.n} (max ${ms(b.max)} ms; ${[...b.steps].join(", ")}); machine ${pct(busy[second])} busy, this bench's own event loop late by up to ${ms(Math.max(benchLate.get(second) ?? 0, benchLate.get(second + 1) ?? 0))} ms then`,
      ),
  ].join("\n");
}

function pct(f: number | undefined): string {
  return f === undefined ? "?" : `${Math.round(100 * f)} %`;
}

/** The machine's busy share by 10 s of the run, and its busiest second: how high the peak went, and when. */
function busyTimeline(busy: number[]): string {
  if (!busy.length) return "machine busy: not sampled";
  const tens: string[] = [];
  for (let i = 0; i < busy.length; i += 10) {
    const part = busy.slice(i, i + 10);
    tens.push(pct(part.reduce((a, b) => a + b, 0) / part.length));
  }
  const top = busy.reduce((best, f, i) => (f > busy[best] ? i : best), 0);
  const full = busy.filter((f) => f >= 0.9).length;
  return `machine busy by 10 s of the run: ${tens.join(" ")}; busiest second t+${top} s (${pct(busy[top])}); ${full} s at ≥ 90 %`;
}

/**
 * How late this process's own timers fire, worst per second of the run: when the load generator itself stalls
 * (GC, a burst of key generation), every answer it is waiting for looks slow, and the portal is not to blame.
 */
function watchOwnLoop(startedAt: number): { bySecond: Map<number, number>; stop(): void } {
  const bySecond = new Map<number, number>();
  const PERIOD = 20;
  let due = performance.now() + PERIOD;
  const timer = setInterval(() => {
    const now = performance.now();
    const late = Math.max(0, now - due);
    due = now + PERIOD;
    const second = Math.floor((Date.now() - startedAt) / 1000);
    bySecond.set(second, Math.max(bySecond.get(second) ?? 0, late));
  }, PERIOD);
  return { bySecond, stop: () => clearInterval(timer) };
}
