/**
 * Issuance throughput: CSR verify + certificate build + CA signature + DER encode + database insert (batched),
 * for a P-256 and an RSA-2048 CA key, next to the raw single-core crypto.sign rate of the same key.
 *
 *   npx tsx bench/issue.ts [--count 20000] [--workers N] [--batch 500] [--csr-key rsa|p256|sm2] [--ca P-256,RSA-2048,SM2]
 *                          [--insert unnest|createMany|none]
 *   DATABASE_URL=postgresql://… npx tsx bench/issue.ts     (PostgreSQL; else in-memory PGlite)
 *
 * `--workers N` (default: one per core) worker threads (bench/lib/issue-worker.ts) each run the CA core's steps —
 * parseCsr (structure, key policy, self-signature), buildCertificate (TBS + CA signature) — and hand the rows to
 * the main thread, which stores them in batches of `--batch` with one INSERT … FROM unnest each.
 * `--workers 0` runs everything on the main thread (CSR verification and signing still on libuv's pool).
 * `--insert none` skips storing, to show what the database costs.
 * `--ca SM2` also runs `openssl speed -seconds 5 sm2` after the run and prints the issued rate against it (goal ≥ 0.5×).
 */
import { createTestDb } from "../lib/dev/testing/db";
import { mkdtempSync, rmSync } from "node:fs";
import os from "node:os";
import path from "node:path";
import { parseArgs } from "node:util";
import { IssuePool } from "./lib/issue-pool";
import {
  BENCH_PASS,
  benchEnv,
  certificateRow,
  CSR_KEY_NAMES,
  csrKeyOf,
  insertUnnest,
  newCsrKey,
  rawSignRate,
  sm2GoalLines,
  type Row,
} from "./lib/cert-store";
import { parseConfig } from "../lib/config";
import type { OpenDb } from "../lib/db/client";
import { ensureDevCa, loadCa } from "../lib/pki/ca";
import { parseCsrAsync } from "../lib/dev/testing/csr";
import { createCsr } from "../lib/dev/testing/csr-build";
import { addOneYear, buildCertificate, randomSerialHex } from "../lib/pki/issue";
import { encodeName } from "../lib/pki/name";
import { PROFILES } from "../lib/pki/profiles";
import type { SignerAlgorithm } from "../lib/pki/signer";

const { values } = parseArgs({
  options: {
    count: { type: "string", default: "20000" },
    workers: { type: "string", default: String(os.availableParallelism()) },
    ca: { type: "string", default: "P-256,RSA-2048" },
    concurrency: { type: "string", default: "512" },
    batch: { type: "string", default: "500" },
    "csr-key": { type: "string", default: "rsa" },
    insert: { type: "string", default: "unnest" },
  },
});
const COUNT = Number(values.count);
const CONCURRENCY = Number(values.concurrency);
const BATCH = Number(values.batch);
const WORKERS = Number(values.workers);
// indices per message to a worker, and messages in flight per worker
const CHUNK = 100;
const IN_FLIGHT = 3;
const MAX_STORING = 2;

console.log(`command: ${process.argv.map((a) => (a.includes(" ") ? JSON.stringify(a) : a)).join(" ")}`);
console.log(
  `node ${process.version}, ${os.cpus().length} cores, UV_THREADPOOL_SIZE=${process.env.UV_THREADPOOL_SIZE ?? "4 (default)"}, db=${process.env.DATABASE_URL ? "postgresql" : "pglite (in-memory)"}`,
);

async function run(algorithm: SignerAlgorithm, db: OpenDb, csrs: Buffer[]) {
  const dir = mkdtempSync(path.join(os.tmpdir(), "bench-ca-"));
  await ensureDevCa(dir, { algorithm, passphrase: BENCH_PASS });
  const env = benchEnv(dir);
  const ca = await loadCa(parseConfig(env));
  const raw = rawSignRate(algorithm, dir);

  const subjectDer = encodeName({ C: "CN", ST: "SD", L: "dezhou", OU: "I370101000000001", CN: "测试证书2018072403" });
  const oldNotAfter = new Date(Date.now() + 20 * 86_400_000);
  const notAfter = addOneYear(oldNotAfter);
  const profile = PROFILES.personal;
  let pending: Row[] = [];
  const flushes: Promise<unknown>[] = [];
  // backpressure: at most MAX_STORING batches on their way to the database; the workers wait for room, so the
  // database gets its share of the two cores during the run instead of draining a backlog after it
  let storing = 0;
  let room: (() => void)[] = [];
  const flush = () => {
    if (!pending.length) return;
    const insert =
      values.insert === "none"
        ? Promise.resolve()
        : values.insert === "createMany"
          ? db.prisma.certificate.createMany({ data: pending })
          : insertUnnest(db, pending);
    storing++;
    flushes.push(
      insert.finally(() => {
        storing--;
        const waiting = room;
        room = [];
        for (const go of waiting) go();
      }),
    );
    pending = [];
  };
  const storageRoom = async () => {
    while (storing >= MAX_STORING) await new Promise<void>((go) => room.push(go));
  };

  const toRow = (r: {
    serial: string;
    spkiSha256: string;
    keyAlgorithm: string;
    notBefore: Date;
    der: Uint8Array;
  }): Row => certificateRow({ ...r, issuerDn: ca.issuerDn, notAfter });
  const add = (row: Row) => {
    pending.push(row);
    if (pending.length >= BATCH) flush();
  };

  const pool = WORKERS
    ? await IssuePool.start(WORKERS, { env, csrs, subjectDer, oldNotAfter: oldNotAfter.getTime() })
    : undefined;
  const t0 = performance.now();
  // CPU seconds of this process (its worker threads and the in-process PGlite included) during the run
  const cpu0 = process.cpuUsage();
  let next = 0;
  async function worker() {
    while (next < COUNT) {
      const i = next++;
      const csr = await parseCsrAsync(csrs[i % csrs.length]);
      const serial = randomSerialHex();
      const notBefore = new Date(Math.floor(Date.now() / 1000) * 1000);
      const der = await buildCertificate({ subjectDer, spki: csr.spki, serial, notBefore, notAfter, profile, ca });
      add(
        toRow({
          serial,
          spkiSha256: csr.spkiSha256,
          keyAlgorithm: csr.keyAlgorithm,
          notBefore,
          der: new Uint8Array(der),
        }),
      );
    }
  }
  /** One of WORKERS × IN_FLIGHT feeders: hands the pool chunks of CSR indices until COUNT are handed out. */
  async function feed(p: IssuePool) {
    while (next < COUNT) {
      const ids = Array.from({ length: Math.min(CHUNK, COUNT - next) }, (_, k) => next + k);
      next += ids.length;
      for (const r of await p.issue(ids)) {
        if ("error" in r) throw new Error(`a bench CSR was refused: ${r.error}`);
        add(toRow({ ...r, notBefore: new Date(r.notBefore) }));
      }
      await storageRoom();
    }
  }
  if (pool) await Promise.all(Array.from({ length: WORKERS * IN_FLIGHT }, () => feed(pool)));
  else await Promise.all(Array.from({ length: CONCURRENCY }, worker));
  flush();
  const built = (performance.now() - t0) / 1000;
  await Promise.all(flushes);
  const secs = (performance.now() - t0) / 1000;
  await pool?.close();
  const stored = await db.prisma.certificate.count({ where: { issuerDn: ca.issuerDn } });
  rmSync(dir, { recursive: true, force: true });
  const rate = COUNT / secs;
  console.log(
    `${algorithm.padEnd(8)} CA: ${rate.toFixed(0).padStart(6)} issued/s (${COUNT} stored=${stored} in ${secs.toFixed(2)} s; all built by ${built.toFixed(2)} s) | raw ${algorithm === "SM2" ? "SM2 sign (lib/crypto/sm2)" : "crypto.sign"} 1 core: ${raw.toFixed(0)}/s | ratio issued/raw = ${(rate / raw).toFixed(2)}`,
  );
  if (algorithm === "SM2") {
    const cpu = process.cpuUsage(cpu0);
    for (const line of sm2GoalLines(rate, COUNT / ((cpu.user + cpu.system) / 1e6))) console.log(`         ${line}`);
  }
  await db.prisma.certificate.deleteMany({ where: { issuerDn: ca.issuerDn } });
}

async function main() {
  const csrKey = csrKeyOf(values["csr-key"]);
  const csrs = Array.from({ length: 64 }, () => createCsr(newCsrKey(csrKey)));
  console.log(
    `count=${COUNT} workers=${WORKERS} ${WORKERS ? `(chunks of ${CHUNK}, ${IN_FLIGHT} in flight each)` : `concurrency=${CONCURRENCY}`} batch=${BATCH} insert=${values.insert} csr key=${CSR_KEY_NAMES[csrKey]} (64 distinct CSRs, each verified every time)`,
  );
  const db = await createTestDb(); // fresh migrated database: PostgreSQL (dropped afterwards) or in-memory PGlite
  try {
    for (const alg of values.ca.split(",") as SignerAlgorithm[]) await run(alg, db, csrs);
  } finally {
    await db.close();
  }
}

main().then(
  () => process.exit(0),
  (e: unknown) => {
    console.error(e);
    process.exit(1);
  },
);
