/**
 * OCSP responder throughput on loopback for cached (pre-signed) responses: GET /ocsp/<base64> for 100 known
 * serials, requests without nonce (RFC 5019 style), autocannon in the primary process.
 *
 *   npx tsx bench/ocsp.ts [--workers 2] [--connections 100] [--duration 10] [--pipelining 1]
 *   DATABASE_URL=postgresql://… npx tsx bench/ocsp.ts   (PostgreSQL, node:cluster workers; else one process on PGlite)
 */
import cluster from "node:cluster";
import { createHash, generateKeyPairSync, randomBytes } from "node:crypto";
import { mkdtempSync } from "node:fs";
import http from "node:http";
import os from "node:os";
import path from "node:path";
import { parseArgs } from "node:util";
import autocannon from "autocannon";
import { systemClock } from "../lib/clock";
import { parseConfig } from "../lib/config";
import { openDb, type OpenDb } from "../lib/db/client";
import { applyMigrations } from "../lib/db/migrate";
import { ensureDevCa, loadCa, type Ca } from "../lib/pki/ca";
import { children, content, nul, octets, oid, readAll, seq, uint } from "../lib/pki/der";
import { OID } from "../lib/pki/oids";
import { respondOcsp } from "../lib/pki/ocsp";
import { serveOcsp } from "../lib/dev/testing/ocsp-server";
import { issueHolderCertificate } from "../lib/dev/demo/certificates";
import { runRoles } from "./lib/cert-store";

const PASS = "bench-passphrase-0123";
const { values } = parseArgs({
  options: {
    workers: { type: "string", default: "2" },
    connections: { type: "string", default: "100" },
    duration: { type: "string", default: "10" },
    pipelining: { type: "string", default: "1" },
  },
});

function config(caDir: string) {
  return parseConfig({
    ...(process.env as Record<string, string>),
    SESSION_SECRET: "s".repeat(40),
    FIELD_ENCRYPTION_KEY: "0".repeat(64),
    SO_PIN_MASTER_SECRET: "m".repeat(40),
    CA_DIR: caDir,
    CA_KEY_PASSPHRASE: PASS,
  });
}

async function serve(db: OpenDb, ca: Ca, port: number): Promise<http.Server> {
  return (await serveOcsp(db, ca, port)).server;
}

async function worker() {
  const db = await openDb({ url: process.env.BENCH_DB_URL! });
  const ca = await loadCa(config(process.env.BENCH_CA_DIR!));
  await serve(db, ca, Number(process.env.BENCH_PORT));
  process.send?.("ready");
}

async function primary() {
  console.log(`command: ${process.argv.join(" ")}`);
  const url = process.env.DATABASE_URL;
  const workers = url ? Number(values.workers) : 0;
  console.log(
    `node ${process.version}, ${os.cpus().length} cores, db=${url ? "postgresql" : "pglite (in-memory)"}, servers=${url ? `${workers} cluster workers` : "1 (in the primary)"}, load average ${os
      .loadavg()
      .map((l) => l.toFixed(1))
      .join(" ")}`,
  );
  let db: OpenDb;
  let dbUrl: string | undefined;
  if (url) {
    const pg = (await import("pg")).default;
    const name = `certrenew_bench_${randomBytes(4).toString("hex")}`;
    const admin = new pg.Client({ connectionString: url });
    await admin.connect();
    await admin.query(`CREATE DATABASE "${name}"`);
    await admin.end();
    const u = new URL(url);
    u.pathname = `/${name}`;
    dbUrl = u.toString();
    await applyMigrations({ url: dbUrl });
    db = await openDb({ url: dbUrl });
  } else {
    db = await openDb({ pgliteDir: "memory://" });
    await applyMigrations({ pglite: db.pglite! });
  }
  const caDir = mkdtempSync(path.join(os.tmpdir(), "bench-ocsp-ca-"));
  await ensureDevCa(caDir, { algorithm: "P-256", passphrase: PASS });
  const ca = await loadCa(config(caDir));

  const keyBits = content(children(readAll(ca.signer.publicKeySpki))[1]).subarray(1);
  const nameHash = createHash("sha1").update(ca.issuerName).digest();
  const keyHash = createHash("sha1").update(keyBits).digest();
  const paths: string[] = [];
  for (let i = 0; i < 100; i++) {
    const { der, info } = await issueHolderCertificate({
      ca,
      subject: { C: "CN", CN: `holder ${i}` },
      publicKey: generateKeyPairSync("ec", { namedCurve: "P-256" }).publicKey,
      notBefore: new Date(),
      notAfter: new Date(Date.now() + 86_400_000 * 365),
      certType: "personal",
    });
    await db.prisma.certificate.create({
      data: {
        serial: info.serial,
        subjectDn: info.subjectDn,
        issuerDn: info.issuerDn,
        holderName: `holder ${i}`,
        holderIdType: "r",
        holderIdEnc: "v1.x",
        holderIdHash: "h",
        holderIdLast4: "0000",
        certType: "personal",
        payerClass: "self",
        keyAlgorithm: info.keyAlgorithm,
        spkiSha256: info.spkiSha256,
        notBefore: info.notBefore,
        notAfter: info.notAfter,
        der: new Uint8Array(der),
      },
    });
    const request = seq(
      seq(
        seq(
          seq(seq(seq(oid(OID.sha1), nul()), octets(nameHash), octets(keyHash), uint(Buffer.from(info.serial, "hex")))),
        ),
      ),
    );
    const response = await respondOcsp({ db: db.prisma, ca, clock: systemClock }, request);
    if (response.length < 100) throw new Error("the responder did not answer a known serial");
    paths.push(`/ocsp/${encodeURIComponent(request.toString("base64"))}`);
  }

  const port = 20000 + Math.floor(Math.random() * 20000);
  let server: http.Server | undefined;
  if (workers > 0) {
    await Promise.all(
      Array.from({ length: workers }, () => {
        const w = cluster.fork({
          BENCH_ROLE: "worker",
          BENCH_DB_URL: dbUrl,
          BENCH_CA_DIR: caDir,
          BENCH_PORT: String(port),
        });
        return new Promise<void>((r) => w.on("message", (m) => m === "ready" && r()));
      }),
    );
  } else {
    server = await serve(db, ca, port);
  }

  const opts = {
    url: `http://127.0.0.1:${port}`,
    connections: Number(values.connections),
    duration: Number(values.duration),
    pipelining: Number(values.pipelining),
    requests: paths.map((p) => ({ method: "GET" as const, path: p })),
  };
  console.log(
    `autocannon url=${opts.url}/ocsp/<base64 of 100 requests> connections=${opts.connections} pipelining=${opts.pipelining} duration=${opts.duration}s`,
  );
  await autocannon({ ...opts, duration: 2 }); // warm-up: memory caches in every worker
  const r = await autocannon(opts);
  console.log(
    `OCSP cached: ${r.requests.average.toFixed(0)} responses/s (avg), p50 ${r.latency.p50} ms, p99 ${r.latency.p99} ms, 2xx=${r["2xx"]}, non2xx=${r.non2xx}, errors=${r.errors}, timeouts=${r.timeouts}`,
  );

  for (const id in cluster.workers) cluster.workers[id]?.kill();
  server?.close();
  await db.close();
  if (dbUrl) {
    const pg = (await import("pg")).default;
    const a = new pg.Client({ connectionString: url });
    await a.connect();
    await a.query(`DROP DATABASE IF EXISTS "${new URL(dbUrl).pathname.slice(1)}" WITH (FORCE)`);
    await a.end();
  }
}

runRoles(primary, worker);
