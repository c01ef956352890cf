import { spawn, spawnSync, type ChildProcess } from "node:child_process";
import { chmodSync, existsSync, mkdirSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from "node:fs";
import os from "node:os";
import path from "node:path";
import { parseArgs } from "node:util";
import autocannon from "autocannon";
import pg from "pg";
import { freshDatabase, startPortal, type Portal } from "../lib/dev/sim/portal";
import { commandLine, machine } from "../lib/dev/sim/stats";

/**
 * `npx tsx bench/peer-cfssl.ts [--db postgresql://…/postgres] [--connections 100] [--duration 15]
 *                              [--processes N] [--port 31220] [--only ocsp,crl,health] [--bare-dir DIR]
 *                              [--rounds 1]`
 *
 * What `npm start` serves, against same-run baselines with the same autocannon settings (one load generator, in
 * this process, one after the other):
 * - OCSP, POST and RFC 5019 GET: the portal (`scripts/start.ts` → scripts/portal-server.ts on a fresh PostgreSQL
 *   database, demo data, jobs on) against `cfssl ocspserve` (Debian golang-cfssl) serving pre-signed responses
 *   from its file, both P-256 CAs, requests made by `openssl ocsp -no_nonce -reqout` for 20 certificates each.
 * - the CRL and the issuing CA certificate: the portal against nginx serving the same bytes as static files, and
 *   the portal's conditional GET (If-None-Match → 304).
 * - /api/health (the cheapest dynamic route): the portal against a bare Next 16 app with one route handler
 *   (`GET /api/health` → `{"status":"ok"}`), built by this script into DIR (default $TMPDIR/certrenew-bench-bare-next,
 *   kept for the next run; its node_modules a hard-linked copy of this checkout's, outside this project so that
 *   Next sees a project of its own) and run as `next start` in the same number of processes (node:cluster, as the
 *   portal).
 * Prints each figure with its baseline and the ratio, and the load average before and after each run (the machine
 * may be shared: compare ratios). `--rounds N` measures /api/health N times, baseline and portal alternating, and
 * prints each round's ratio and their median (the row is the round with the median ratio): on a shared machine the
 * load drifts between two 15 s runs, and one pair can say 0.4 or 1.9 of the same code. On Linux the health rows
 * also give the CPU each side's processes spent per request (from /proc), and their ratio. Ports: the portal --port, cfssl +1, nginx +2, the bare app +3, assistant +4.
 */

const { values: args } = parseArgs({
  options: {
    db: {
      type: "string",
      default:
        process.env.BENCH_DATABASE_URL ?? process.env.DATABASE_URL ?? "postgresql://postgres@127.0.0.1:55432/postgres",
    },
    connections: { type: "string", default: "100" },
    duration: { type: "string", default: "15" },
    processes: { type: "string", default: String(os.availableParallelism()) },
    port: { type: "string", default: "31220" },
    only: { type: "string", default: "ocsp,crl,health" },
    "bare-dir": { type: "string", default: path.join(os.tmpdir(), "certrenew-bench-bare-next") },
    rounds: { type: "string", default: "1" },
  },
});

const CONNECTIONS = Number(args.connections);
const DURATION = Number(args.duration);
const PROCESSES = Number(args.processes);
const PORT = Number(args.port);
const only = new Set(args.only!.split(","));
const root = process.cwd();
const tmp = mkdtempSync(path.join(os.tmpdir(), "bench-peer-"));
// nginx serves from it as its worker user
chmodSync(tmp, 0o755);
const children: ChildProcess[] = [];
const load = () =>
  os
    .loadavg()
    .map((l) => l.toFixed(1))
    .join(" ");

function run(cmd: string, argv: string[], opts: { cwd?: string; input?: string } = {}): string {
  const r = spawnSync(cmd, argv, { cwd: opts.cwd ?? tmp, input: opts.input, encoding: "utf8" });
  if (r.status !== 0) throw new Error(`${cmd} ${argv.join(" ")} failed:\n${r.stdout}${r.stderr}`);
  return r.stdout;
}

function background(cmd: string, argv: string[], opts: { cwd?: string; env?: NodeJS.ProcessEnv } = {}): ChildProcess {
  const child = spawn(cmd, argv, {
    cwd: opts.cwd ?? tmp,
    env: opts.env ?? process.env,
    stdio: ["ignore", "ignore", "pipe"],
    detached: true,
  });
  let err = "";
  child.stderr!.on("data", (d: Buffer) => (err = (err + d.toString()).slice(-4000)));
  child.on("exit", (code) => {
    if (code && !stopping) console.error(`${cmd} exited ${code}: ${err}`);
  });
  children.push(child);
  return child;
}

async function waitFor(url: string, init?: RequestInit, timeoutMs = 240_000): Promise<void> {
  const until = Date.now() + timeoutMs;
  while (Date.now() < until) {
    try {
      const res = await fetch(url, { ...init, signal: AbortSignal.timeout(3000) });
      if (res.status < 500) return;
    } catch {
      // not yet
    }
    await new Promise((r) => setTimeout(r, 300));
  }
  throw new Error(`${url} did not answer`);
}

/** OCSP requests (DER) for each certificate, as openssl makes them (SHA-1 CertID, no nonce: RFC 5019). */
function ocspRequests(issuerPem: string, certs: { pem?: string; serial?: string }[]): Buffer[] {
  return certs.map((c, i) => {
    const out = path.join(tmp, `req-${path.basename(issuerPem)}-${i}.der`);
    run("openssl", [
      "ocsp",
      "-issuer",
      issuerPem,
      ...(c.pem ? ["-cert", c.pem] : ["-serial", `0x${c.serial}`]),
      "-no_nonce",
      "-reqout",
      out,
    ]);
    return readFileSync(out);
  });
}

interface Measure {
  rps: number;
  p50: number;
  p99: number;
  non2xx: number;
  errors: number;
  load: string;
  /** CPU (user + system) the server's processes spent per answered request, ms; Linux only */
  cpuPerRequest?: number;
}

/**
 * CPU seconds (user + system) of a process and every live descendant, from /proc
 * (Linux); undefined elsewhere. Less sensitive to a shared machine's load than requests/s: what each request costs.
 */
function treeCpuSeconds(pid: number | undefined): number | undefined {
  if (!pid || !existsSync(`/proc/${pid}`)) return undefined;
  const ticks = 100; // USER_HZ on Linux
  let total = 0;
  const visit = (p: number): void => {
    try {
      // the fields after the command name, which may contain spaces: ") state ppid …"; utime and stime are 14 and 15
      const after = readFileSync(`/proc/${p}/stat`, "utf8").split(") ").at(-1)!.split(" ");
      total += (Number(after[11]) + Number(after[12])) / ticks;
      for (const c of readFileSync(`/proc/${p}/task/${p}/children`, "utf8").trim().split(/\s+/))
        if (c) visit(Number(c));
    } catch {
      // gone meanwhile
    }
  };
  visit(pid);
  return total;
}

async function measure(
  url: string,
  requests: autocannon.Request[],
  expectStatus = 200,
  headers?: Record<string, string>,
  serverPid?: number,
): Promise<Measure> {
  const opts = { url, connections: CONNECTIONS, requests, headers };
  await autocannon({ ...opts, duration: 2 }); // warm-up: every process's caches and modules
  const cpu0 = treeCpuSeconds(serverPid);
  const r = await autocannon({
    ...opts,
    duration: DURATION,
    expectBody: undefined,
  } as autocannon.Options);
  const codes = r.statusCodeStats as unknown as Record<string, { count: number }> | undefined;
  const wrong = codes
    ? Object.entries(codes)
        .filter(([c]) => Number(c) !== expectStatus)
        .reduce((n, [, v]) => n + v.count, 0)
    : r.non2xx;
  const cpu1 = treeCpuSeconds(serverPid);
  return {
    cpuPerRequest: cpu0 !== undefined && cpu1 !== undefined ? ((cpu1 - cpu0) * 1000) / r.requests.total : undefined,
    rps: r.requests.average,
    p50: r.latency.p50,
    p99: r.latency.p99,
    non2xx: wrong,
    errors: r.errors,
    load: load(),
  };
}

const fmt = (m: Measure) =>
  `${Math.round(m.rps).toLocaleString("en")}/s, p50 ${m.p50} ms, p99 ${m.p99} ms${m.cpuPerRequest !== undefined ? `, CPU ${m.cpuPerRequest.toFixed(2)} ms/request` : ""}${m.non2xx || m.errors ? `, ${m.non2xx} wrong status, ${m.errors} errors` : ""}`;

const rows: { what: string; portal: Measure; baseline?: Measure; baselineName?: string }[] = [];
function row(what: string, portal: Measure, baseline?: Measure, baselineName?: string): void {
  rows.push({ what, portal, baseline, baselineName });
  console.log(
    `${what}: portal ${fmt(portal)}${baseline ? `; ${baselineName} ${fmt(baseline)}; ratio ${(portal.rps / baseline.rps).toFixed(2)}` : ""}  (load ${portal.load})`,
  );
}

// ---- cfssl ocspserve: its own P-256 CA, 20 certificates, pre-signed responses in its file
function startCfssl(): { base: string; requests: Buffer[] } {
  writeFileSync(
    path.join(tmp, "ca.json"),
    JSON.stringify({ CN: "Bench CA", key: { algo: "ecdsa", size: 256 }, names: [{ C: "CN" }] }),
  );
  run("sh", ["-c", "cfssl genkey -initca ca.json 2>/dev/null | cfssljson -bare ca"]);
  writeFileSync(path.join(tmp, "leaf.json"), JSON.stringify({ CN: "holder", key: { algo: "ecdsa", size: 256 } }));
  const responses: string[] = [];
  const certs: { pem: string }[] = [];
  for (let i = 0; i < 20; i++) {
    run("sh", ["-c", `cfssl gencert -ca ca.pem -ca-key ca-key.pem leaf.json 2>/dev/null | cfssljson -bare leaf${i}`]);
    const signed = JSON.parse(
      run("cfssl", [
        "ocspsign",
        "-ca",
        "ca.pem",
        "-responder",
        "ca.pem",
        "-responder-key",
        "ca-key.pem",
        "-cert",
        `leaf${i}.pem`,
        "-status",
        "good",
      ]),
    ) as { ocspResponse: string };
    responses.push(signed.ocspResponse);
    certs.push({ pem: path.join(tmp, `leaf${i}.pem`) });
  }
  writeFileSync(path.join(tmp, "responses.txt"), responses.join("\n") + "\n");
  const port = PORT + 1;
  background("cfssl", [
    "ocspserve",
    "-address",
    "127.0.0.1",
    "-port",
    String(port),
    "-responses",
    "responses.txt",
    "-loglevel",
    "3",
  ]);
  return { base: `http://127.0.0.1:${port}`, requests: ocspRequests(path.join(tmp, "ca.pem"), certs) };
}

// ---- nginx: the same CRL and certificate bytes as static files
function startNginx(files: Record<string, Buffer>): string {
  const dir = path.join(tmp, "nginx");
  mkdirSync(path.join(dir, "www"), { recursive: true });
  for (const [name, body] of Object.entries(files)) writeFileSync(path.join(dir, "www", name), body);
  const port = PORT + 2;
  writeFileSync(
    path.join(dir, "nginx.conf"),
    `daemon off; worker_processes ${PROCESSES}; pid ${dir}/nginx.pid; error_log ${dir}/error.log;
events { worker_connections 1024; }
http { access_log off; types { application/pkix-crl crl; application/pkix-cert cer; }
  server { listen 127.0.0.1:${port}; root ${dir}/www; etag on; } }
`,
  );
  background("nginx", ["-c", path.join(dir, "nginx.conf"), "-p", dir]);
  return `http://127.0.0.1:${port}`;
}

// ---- a bare Next 16 app with one route handler, built once into --bare-dir
const BARE_ROUTE = `export const dynamic = "force-dynamic";
export function GET() {
  return Response.json({ status: "ok" }, { headers: { "cache-control": "no-store" } });
}
`;
const BARE_CLUSTER = `const cluster = require("node:cluster");
const n = Number(process.env.BARE_PROCESSES || 1);
cluster.setupPrimary({ exec: require.resolve("next/dist/bin/next"), args: ["start", "-p", process.env.PORT] });
for (let i = 0; i < n; i++) cluster.fork();
`;
async function startBareNext(): Promise<{ base: string; pid?: number }> {
  const dir = path.resolve(args["bare-dir"]!);
  const stamp = path.join(dir, ".next", "BUILD_ID");
  const route = path.join(dir, "app", "api", "health", "route.js");
  if (!existsSync(stamp) || !existsSync(route) || readFileSync(route, "utf8") !== BARE_ROUTE) {
    rmSync(dir, { recursive: true, force: true });
    mkdirSync(path.dirname(route), { recursive: true });
    writeFileSync(route, BARE_ROUTE);
    writeFileSync(path.join(dir, "package.json"), JSON.stringify({ name: "bare-next", private: true }));
    writeFileSync(path.join(dir, "next.config.js"), "module.exports = { poweredByHeader: false };\n");
    writeFileSync(path.join(dir, "cluster.cjs"), BARE_CLUSTER);
    run("cp", ["-al", path.join(root, "node_modules"), path.join(dir, "node_modules")]);
    console.log(`building the bare Next app in ${dir} …`);
    const r = spawnSync(process.execPath, [path.join(dir, "node_modules/next/dist/bin/next"), "build"], {
      cwd: dir,
      env: { ...process.env, NEXT_TELEMETRY_DISABLED: "1" },
      encoding: "utf8",
    });
    if (r.status !== 0) throw new Error(`bare next build failed:\n${r.stdout}${r.stderr}`);
  }
  const port = PORT + 3;
  const child = background(process.execPath, ["cluster.cjs"], {
    cwd: dir,
    env: {
      ...process.env,
      NODE_ENV: "production",
      NEXT_TELEMETRY_DISABLED: "1",
      PORT: String(port),
      BARE_PROCESSES: String(PROCESSES),
    },
  });
  const base = `http://127.0.0.1:${port}`;
  await waitFor(`${base}/api/health`);
  return { base, pid: child.pid };
}

let stopping = false;
let portal: Portal | undefined;
let database: { url: string; drop(): Promise<void> } | undefined;
async function cleanup(): Promise<void> {
  stopping = true;
  for (const c of children) {
    try {
      process.kill(-c.pid!, "SIGTERM");
    } catch {
      // gone
    }
  }
  await portal?.stop();
  await database?.drop();
  rmSync(tmp, { recursive: true, force: true });
}

console.log(`$ ${commandLine()}`);
console.log(
  `date ${new Date().toISOString()}  machine ${machine()}  autocannon connections=${CONNECTIONS} duration=${DURATION}s (+2 s warm-up), portal and baselines in ${PROCESSES} process(es); load average ${load()}`,
);
try {
  database = await freshDatabase(args.db!);
  portal = await startPortal({
    env: {
      DATABASE_URL: database.url,
      DEMO_MODE: "1",
      JOBS_ENABLED: "1",
      LOG_LEVEL: "warn",
      PORTAL_PROCESSES: String(PROCESSES),
      ASSISTANT_PACK: "0",
      ASSISTANT_PORT: String(PORT + 4),
    },
    port: PORT,
    quiet: true,
  });
  const base = portal.base;
  console.log(`portal ${base} (npm start's scripts/start.ts, PostgreSQL ${new URL(database.url).pathname.slice(1)})`);
  const issuing = Buffer.from(await (await fetch(`${base}/ca/issuing.cer`)).arrayBuffer());
  const issuingPem = path.join(tmp, "portal-issuing.pem");
  writeFileSync(issuingPem, run("openssl", ["x509", "-inform", "DER", "-in", writeTmp("issuing.der", issuing)]));

  if (only.has("ocsp")) {
    const client = new pg.Client({ connectionString: database.url });
    await client.connect();
    const serials = (
      await client.query<{ serial: string }>(
        `SELECT serial FROM "Certificate" WHERE status <> 'revoked' ORDER BY serial LIMIT 20`,
      )
    ).rows.map((r) => r.serial);
    await client.end();
    const portalRequests = ocspRequests(
      issuingPem,
      serials.map((serial) => ({ serial })),
    );
    const cfssl = startCfssl();
    await waitFor(`${cfssl.base}/`, { method: "GET" });
    // every request is answered with a successful response (not malformedRequest: that would measure the wrong path)
    for (const [url, reqs] of [
      [`${base}/ocsp`, portalRequests],
      [`${cfssl.base}/`, cfssl.requests],
    ] as const)
      for (const body of reqs) {
        const res = await fetch(url, {
          method: "POST",
          headers: { "content-type": "application/ocsp-request" },
          body: new Uint8Array(body),
        });
        const der = Buffer.from(await res.arrayBuffer());
        // OCSPResponse ::= SEQUENCE { responseStatus ENUMERATED successful(0), responseBytes [0] … }
        const status = der.indexOf(Buffer.from([0x0a, 0x01, 0x00]));
        if (res.status !== 200 || der.length < 100 || status < 2 || status > 4)
          throw new Error(`${url}: not a successful OCSP response (${res.status}, ${der.length} bytes)`);
      }
    const getCheck = await fetch(`${base}/ocsp/${encodeURIComponent(portalRequests[0].toString("base64"))}`);
    if ((await getCheck.arrayBuffer()).byteLength < 100) throw new Error("the portal's GET answer is not successful");
    console.log(`OCSP: ${portalRequests.length} portal certificates, ${cfssl.requests.length} cfssl certificates`);
    const post = (path: string, reqs: Buffer[]): autocannon.Request[] =>
      reqs.map((body) => ({
        method: "POST" as const,
        path,
        headers: { "content-type": "application/ocsp-request" },
        body: body as unknown as string,
      }));
    const get = (prefix: string, reqs: Buffer[]): autocannon.Request[] =>
      reqs.map((body) => ({ method: "GET" as const, path: `${prefix}${encodeURIComponent(body.toString("base64"))}` }));
    const cfPost = await measure(cfssl.base, post("/", cfssl.requests));
    const poPost = await measure(base, post("/ocsp", portalRequests));
    row("POST /ocsp", poPost, cfPost, "cfssl ocspserve");
    const cfGet = await measure(cfssl.base, get("/", cfssl.requests));
    const poGet = await measure(base, get("/ocsp/", portalRequests));
    row("GET /ocsp/<base64>", poGet, cfGet, "cfssl ocspserve");
  }

  if (only.has("crl")) {
    const crl = Buffer.from(await (await fetch(`${base}/crl/issuing.crl`)).arrayBuffer());
    const nginx = startNginx({ "issuing.crl": crl, "issuing.cer": issuing });
    await waitFor(`${nginx}/issuing.crl`);
    const ngCrl = await measure(nginx, [{ method: "GET", path: "/issuing.crl" }]);
    const poCrl = await measure(base, [{ method: "GET", path: "/crl/issuing.crl" }]);
    row("GET /crl/issuing.crl", poCrl, ngCrl, "nginx static file");
    const ngCer = await measure(nginx, [{ method: "GET", path: "/issuing.cer" }]);
    const poCer = await measure(base, [{ method: "GET", path: "/ca/issuing.cer" }]);
    row("GET /ca/issuing.cer", poCer, ngCer, "nginx static file");
    const etag = (await fetch(`${base}/crl/issuing.crl`)).headers.get("etag")!;
    const ngEtag = (await fetch(`${nginx}/issuing.crl`)).headers.get("etag")!;
    const ng304 = await measure(nginx, [{ method: "GET", path: "/issuing.crl" }], 304, { "if-none-match": ngEtag });
    const po304 = await measure(base, [{ method: "GET", path: "/crl/issuing.crl" }], 304, { "if-none-match": etag });
    row("GET /crl/issuing.crl, If-None-Match → 304", po304, ng304, "nginx static file");
  }

  if (only.has("health")) {
    const bare = await startBareNext();
    const pairs: { portal: Measure; bare: Measure }[] = [];
    for (let round = 1; round <= Math.max(1, Number(args.rounds)); round++) {
      // with the CPU per request of each side's processes: the portal's tree is scripts/start.ts, its portal
      // processes and the assistant (idle here); the bare app's is its cluster
      const bareHealth = await measure(bare.base, [{ method: "GET", path: "/api/health" }], 200, undefined, bare.pid);
      const poHealth = await measure(base, [{ method: "GET", path: "/api/health" }], 200, undefined, portal.child.pid);
      pairs.push({ portal: poHealth, bare: bareHealth });
      if (Number(args.rounds) > 1)
        console.log(
          `  round ${round}: portal ${fmt(poHealth)}; bare ${fmt(bareHealth)}; ratio ${(poHealth.rps / bareHealth.rps).toFixed(2)} (load ${poHealth.load})`,
        );
    }
    const ratios = pairs.map((p) => p.portal.rps / p.bare.rps);
    const median = [...ratios].sort((a, b) => a - b)[(ratios.length - 1) >> 1];
    const mid = pairs[ratios.indexOf(median)];
    const cpuRatios = pairs.map((p) => (p.bare.cpuPerRequest ?? NaN) / (p.portal.cpuPerRequest ?? NaN));
    if (pairs.length > 1)
      console.log(`  ratios ${ratios.map((r) => r.toFixed(2)).join(", ")}; median ${median.toFixed(2)}`);
    if (cpuRatios.every((r) => Number.isFinite(r)))
      console.log(
        `  CPU per request, bare app / portal (what the ratio would be with the CPU as the only limit): ${cpuRatios.map((r) => r.toFixed(2)).join(", ")}`,
      );
    row("GET /api/health", mid.portal, mid.bare, "bare Next 16, one route handler");
  }

  console.log(`\n| what the portal serves | portal | same-run baseline | ratio |\n|---|---|---|---:|`);
  for (const r of rows)
    console.log(
      `| \`${r.what}\` | ${fmt(r.portal)} | ${r.baseline ? `${r.baselineName}: ${fmt(r.baseline)}` : "—"} | ${r.baseline ? (r.portal.rps / r.baseline.rps).toFixed(2) : "—"} |`,
    );
  console.log(`load average at the end ${load()}`);
} finally {
  await cleanup();
}

function writeTmp(name: string, body: Buffer): string {
  const f = path.join(tmp, name);
  writeFileSync(f, body);
  return f;
}
