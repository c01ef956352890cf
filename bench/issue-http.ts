/**
 * Issuance end to end over HTTP: POST a PKCS#10 (DER) → the CA core checks it (structure, key policy, its
 * self-signature: proof of possession of the new key) → TBS + CA signature → the certificate is stored
 * (group commit: concurrent requests share one INSERT, each answered after its row is committed) → the answer is
 * the certs-only PKCS#7 (leaf + chain). autocannon in the primary sends 64 distinct CSRs round-robin, each
 * verified every time. Next to it, the raw single-core crypto.sign rate of the same key.
 *
 *   DATABASE_URL=postgresql://… npx tsx bench/issue-http.ts [--ca P-256|RSA-2048|SM2] [--processes 1] [--threads 2]
 *                               [--connections 256] [--duration 10] [--csr-key rsa|p256|sm2]
 *
 * `--processes` node:cluster server processes share the port; in each, the main thread speaks HTTP and stores,
 * and `--threads` worker threads (bench/lib/issue-pool.ts) check CSRs and sign, handed requests in small batches
 * (`--threads 0`: the main thread does everything).
 *
 * This is a harness around lib/pki, the way a CA service would put it behind HTTP: the portal itself issues one
 * renewal per 下证 request inside its order transaction (bench/flow.ts measures that path).
 */
import cluster from "node:cluster";
import { randomBytes } from "node:crypto";
import { mkdtempSync, rmSync } from "node:fs";
import http from "node:http";
import os from "node:os";
import path from "node:path";
import { parseArgs } from "node:util";
import autocannon from "autocannon";
import { DomainError } from "../lib/errors";
import { openDb } from "../lib/db/client";
import { applyMigrations } from "../lib/db/migrate";
import { ensureDevCa, loadCa, type Ca } from "../lib/pki/ca";
import { parseCsr } from "../lib/pki/csr";
import { createCsr } from "../lib/dev/testing/csr-build";
import { addOneYear, buildCertificate, randomSerialHex } from "../lib/pki/issue";
import { encodeName } from "../lib/pki/name";
import { pkcs7CertsOnly } from "../lib/pki/pkcs7";
import { PROFILES } from "../lib/pki/profiles";
import type { SignerAlgorithm } from "../lib/pki/signer";
import {
  BENCH_PASS,
  benchConfig,
  benchEnv,
  certificateRow,
  CSR_KEY_NAMES,
  csrKeyOf,
  GroupCommit,
  newCsrKey,
  rawSignRate,
  runRoles,
  sm2GoalLines,
} from "./lib/cert-store";
import { IssuePool } from "./lib/issue-pool";
import type { IssueResult } from "./lib/issue-worker";

const { values } = parseArgs({
  options: {
    ca: { type: "string", default: "P-256" },
    processes: { type: "string", default: "1" },
    threads: { type: "string", default: String(os.availableParallelism()) },
    connections: { type: "string", default: "256" },
    duration: { type: "string", default: "10" },
    "csr-key": { type: "string", default: "rsa" },
  },
});

const SUBJECT = encodeName({ C: "CN", ST: "SD", L: "dezhou", OU: "I370101000000001", CN: "测试证书2018072403" });
// the old certificate's expiry, 20 days ahead: the renewal runs to one calendar year after it
const OLD_NOT_AFTER = new Date(Date.now() + 20 * 86_400_000);
const NOT_AFTER = addOneYear(OLD_NOT_AFTER);

async function issue(ca: Ca, store: GroupCommit, body: Buffer): Promise<Buffer> {
  const csr = parseCsr(body);
  const serial = randomSerialHex();
  const notBefore = new Date(Math.floor(Date.now() / 1000) * 1000);
  const der = await buildCertificate({
    subjectDer: SUBJECT,
    spki: csr.spki,
    serial,
    notBefore,
    notAfter: NOT_AFTER,
    profile: PROFILES.personal,
    ca,
  });
  await store.store(
    certificateRow({
      serial,
      issuerDn: ca.issuerDn,
      spkiSha256: csr.spkiSha256,
      keyAlgorithm: csr.keyAlgorithm,
      notBefore,
      notAfter: NOT_AFTER,
      der,
    }),
  );
  return pkcs7CertsOnly([der, ...ca.chain]);
}

function serve(port: number, answer: (body: Buffer) => Promise<Buffer>) {
  const server = http.createServer((req, res) => {
    const chunks: Buffer[] = [];
    req.on("data", (c: Buffer) => chunks.push(c));
    req.on("end", () => {
      answer(Buffer.concat(chunks)).then(
        (p7) => {
          res.writeHead(200, { "content-type": "application/pkcs7-mime" });
          res.end(p7);
        },
        (e: unknown) => {
          res.writeHead(e instanceof DomainError ? 400 : 500, { "content-type": "text/plain" });
          res.end(e instanceof DomainError ? e.code : "error");
        },
      );
    });
  });
  server.listen(port, "127.0.0.1", () => process.send?.("ready"));
}

/** Requests waiting for a worker thread; they go in batches of up to BATCH, or whatever is there on the next turn. */
const BATCH = 16;

async function worker() {
  const db = await openDb({ url: process.env.BENCH_DB_URL! });
  const ca = await loadCa(benchConfig(process.env.BENCH_CA_DIR!));
  const store = new GroupCommit(db);
  const port = Number(process.env.BENCH_PORT);
  if (process.env.BENCH_THREADS === "0") return serve(port, (body) => issue(ca, store, body));

  const pool = await IssuePool.start(Number(process.env.BENCH_THREADS), {
    env: benchEnv(process.env.BENCH_CA_DIR!),
    csrs: [],
    subjectDer: SUBJECT,
    oldNotAfter: OLD_NOT_AFTER.getTime(),
  });
  let queue: { body: Buffer; done: (r: IssueResult) => void }[] = [];
  const dispatch = () => {
    const batch = queue;
    queue = [];
    void pool.issue(batch.map((q) => q.body)).then((results) => results.forEach((r, i) => batch[i].done(r)));
  };
  serve(port, async (body) => {
    const r = await new Promise<IssueResult>((done) => {
      queue.push({ body, done });
      if (queue.length >= BATCH) dispatch();
      else if (queue.length === 1) setImmediate(() => queue.length && dispatch());
    });
    if ("error" in r) throw new DomainError(r.error as never);
    const der = Buffer.from(r.der.buffer, r.der.byteOffset, r.der.byteLength);
    await store.store(
      certificateRow({
        ...r,
        issuerDn: ca.issuerDn,
        notBefore: new Date(r.notBefore),
        notAfter: new Date(r.notAfter),
        der,
      }),
    );
    return pkcs7CertsOnly([der, ...ca.chain]);
  });
}

async function primary() {
  const url = process.env.DATABASE_URL;
  if (!url) throw new Error("DATABASE_URL (PostgreSQL) is required: the workers are separate processes");
  const algorithm = values.ca as SignerAlgorithm;
  const processes = Number(values.processes);
  const threads = Number(values.threads);
  console.log(`command: ${process.argv.join(" ")}`);
  console.log(
    `node ${process.version}, ${os.cpus().length} cores, ${processes} server processes (node:cluster) with ${threads} worker threads each, load average ${os
      .loadavg()
      .map((l) => l.toFixed(1))
      .join(" ")}`,
  );

  const pg = (await import("pg")).default;
  const name = `certrenew_bench_${randomBytes(4).toString("hex")}`;
  const admin = new pg.Client({ connectionString: url });
  await admin.connect();
  await admin.query(`CREATE DATABASE "${name}"`);
  const u = new URL(url);
  u.pathname = `/${name}`;
  const dbUrl = u.toString();
  await applyMigrations({ url: dbUrl });
  const caDir = mkdtempSync(path.join(os.tmpdir(), "bench-issue-http-"));
  await ensureDevCa(caDir, { algorithm, passphrase: BENCH_PASS });
  const raw = rawSignRate(algorithm, caDir);

  const csrKey = csrKeyOf(values["csr-key"]);
  const bodies = Array.from({ length: 64 }, () => createCsr(newCsrKey(csrKey)));
  const port = 20000 + Math.floor(Math.random() * 20000);
  await Promise.all(
    Array.from({ length: processes }, () => {
      const w = cluster.fork({
        BENCH_ROLE: "worker",
        BENCH_DB_URL: dbUrl,
        BENCH_CA_DIR: caDir,
        BENCH_PORT: String(port),
        BENCH_THREADS: String(threads),
      });
      return new Promise<void>((r) => w.on("message", (m) => m === "ready" && r()));
    }),
  );

  const db = await openDb({ url: dbUrl });
  try {
    const opts = {
      url: `http://127.0.0.1:${port}/issue`,
      connections: Number(values.connections),
      duration: Number(values.duration),
      requests: bodies.map((body) => ({
        method: "POST" as const,
        body,
        headers: { "content-type": "application/pkcs10" },
      })),
    };
    console.log(
      `CA ${algorithm}, CSR key ${CSR_KEY_NAMES[csrKey]} (64 distinct), autocannon connections=${opts.connections} duration=${opts.duration}s`,
    );
    await autocannon({ ...opts, duration: 2 }); // warm-up
    const before = await db.prisma.certificate.count();
    const r = await autocannon(opts);
    const stored = (await db.prisma.certificate.count()) - before;
    const rate = r["2xx"] / (r.duration || opts.duration);
    console.log(
      `issued over HTTP: ${rate.toFixed(0)}/s (2xx=${r["2xx"]} in ${r.duration.toFixed(1)} s, stored=${stored}), p50 ${r.latency.p50} ms, p99 ${r.latency.p99} ms, non2xx=${r.non2xx}, errors=${r.errors}, timeouts=${r.timeouts} | raw ${algorithm === "SM2" ? "SM2 sign (lib/crypto/sm2)" : "crypto.sign"} 1 core: ${raw.toFixed(0)}/s | ratio ${(rate / raw).toFixed(2)}`,
    );
    if (algorithm === "SM2") for (const line of sm2GoalLines(rate)) console.log(line);
    if (stored < r["2xx"]) throw new Error(`answered ${r["2xx"]} but stored ${stored}`);
  } finally {
    for (const id in cluster.workers) cluster.workers[id]?.kill();
    await db.close();
    await admin.query(`DROP DATABASE IF EXISTS "${name}" WITH (FORCE)`);
    await admin.end();
    rmSync(caDir, { recursive: true, force: true });
  }
}

runRoles(primary, worker);
