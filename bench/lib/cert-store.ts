import { spawnSync } from "node:child_process";
import { createPrivateKey, generateKeyPairSync, randomBytes, sign as cryptoSign, type KeyObject } from "node:crypto";
import { readFileSync } from "node:fs";
import os from "node:os";
import path from "node:path";
import type { OpenDb } from "../../lib/db/client";
import { CA_FILES } from "../../lib/pki/ca";
import type { SignerAlgorithm } from "../../lib/pki/signer";
import type { Prisma } from "../../lib/generated/prisma/client";
import { parseConfig } from "../../lib/config";
import {
  decryptSm2PrivateKeyPem,
  generateSm2KeyPair,
  sm2Implementation,
  sm2SigningKey,
  sm2Z,
  sm3,
  type Sm2KeyPair,
} from "../../lib/crypto/sm2";

/** The CA key passphrase of the benches' throwaway CAs. */
export const BENCH_PASS = "bench-passphrase-0123";

/** Configuration for a bench CA in `caDir` (the other secrets are throwaway values). */
export function benchConfig(caDir: string) {
  return parseConfig(benchEnv(caDir));
}

export function benchEnv(caDir: string): Record<string, string> {
  return {
    ...(process.env as Record<string, string>),
    SESSION_SECRET: "s".repeat(40),
    FIELD_ENCRYPTION_KEY: "0".repeat(64),
    SO_PIN_MASTER_SECRET: "m".repeat(40),
    CA_DIR: caDir,
    CA_KEY_PASSPHRASE: BENCH_PASS,
    PUBLIC_ORIGIN: "https://renew.example.cn",
  };
}

/** The raw single-core crypto.sign rate of the bench CA's issuing key in `caDir`, over 2 s: the baseline. */
export function rawSignRate(algorithm: SignerAlgorithm, caDir: string): number {
  const pem = readFileSync(path.join(caDir, CA_FILES.issuingKey));
  const data = randomBytes(700); // about a TBSCertificate
  if (algorithm === "SM2") {
    // what the CA's FileSigner does per signature: SM3(Z ‖ TBS), then the SM2 signature (lib/crypto/sm2.ts)
    const pair = decryptSm2PrivateKeyPem(pem, BENCH_PASS);
    const key = sm2SigningKey(pair.privateKey, pair.publicKey);
    const z = sm2Z(pair.publicKey);
    const t0 = performance.now();
    let n = 0;
    while (performance.now() - t0 < 2000) {
      key.signDigest(sm3(z, data));
      n++;
    }
    key.close();
    return n / ((performance.now() - t0) / 1000);
  }
  const key = createPrivateKey({ key: pem, passphrase: BENCH_PASS });
  const t0 = performance.now();
  let n = 0;
  while (performance.now() - t0 < 2000) {
    cryptoSign(algorithm === "P-384" ? "sha384" : "sha256", data, key);
    n++;
  }
  return n / ((performance.now() - t0) / 1000);
}

/** Runs a primary/worker bench file: the primary exits when done, a cluster worker keeps serving. */
export function runRoles(primary: () => Promise<void>, worker: () => Promise<void>): void {
  const isWorker = process.env.BENCH_ROLE === "worker";
  (isWorker ? worker() : primary()).then(
    () => {
      if (!isWorker) process.exit(0);
    },
    (e: unknown) => {
      console.error(e);
      process.exit(1);
    },
  );
}

export type Row = Prisma.CertificateCreateManyInput & { der: Uint8Array; notBefore: Date; notAfter: Date };

/** A Certificate row as a renewal stores it, holder fields copied from a (fixed) old certificate. */
export function certificateRow(r: {
  serial: string;
  issuerDn: string;
  spkiSha256: string;
  keyAlgorithm: string;
  notBefore: Date;
  notAfter: Date;
  der: Uint8Array;
}): Row {
  return {
    serial: r.serial,
    subjectDn: "CN=测试证书2018072403,OU=I370101000000001,L=dezhou,ST=SD,C=CN",
    issuerDn: r.issuerDn,
    holderName: "测试证书2018072403",
    holderIdType: "resident_id",
    holderIdEnc: "v1.bench",
    holderIdHash: "bench",
    holderIdLast4: "1234",
    certType: "personal",
    payerClass: "self",
    keyAlgorithm: r.keyAlgorithm,
    spkiSha256: r.spkiSha256,
    notBefore: r.notBefore,
    notAfter: r.notAfter,
    der: r.der as Uint8Array<ArrayBuffer>,
  };
}

const UNNEST_INSERT = `INSERT INTO "Certificate" (id, serial, "subjectDn", "issuerDn", "holderName", "holderIdType", "holderIdEnc", "holderIdHash", "holderIdLast4", "certType", "payerClass", "keyAlgorithm", "spkiSha256", "notBefore", "notAfter", der)
     SELECT gen_random_uuid()::text, s, sd, idn, hn, ht, he, hh, hl, ct::"CertType", pc::"PayerClass", ka, sp, nb, na, decode(d, 'base64')
     FROM unnest($1::text[], $2::text[], $3::text[], $4::text[], $5::text[], $6::text[], $7::text[], $8::text[], $9::text[], $10::text[], $11::text[], $12::text[], $13::timestamp[], $14::timestamp[], $15::text[])
       AS u(s, sd, idn, hn, ht, he, hh, hl, ct, pc, ka, sp, nb, na, d)`;

/** One INSERT … SELECT FROM unnest(arrays) per batch: one statement and 15 parameters however many rows. */
export function insertUnnest(db: OpenDb, rows: Row[]) {
  const col = <K extends keyof Row>(k: K) => rows.map((r) => r[k]);
  const params = [
    col("serial"),
    col("subjectDn"),
    col("issuerDn"),
    col("holderName"),
    col("holderIdType"),
    col("holderIdEnc"),
    col("holderIdHash"),
    col("holderIdLast4"),
    col("certType"),
    col("payerClass"),
    col("keyAlgorithm"),
    col("spkiSha256"),
    col("notBefore"),
    col("notAfter"),
    rows.map((r) => Buffer.from(r.der).toString("base64")),
  ];
  return db.prisma.$executeRawUnsafe(UNNEST_INSERT, ...params);
}

/**
 * Group commit: rows handed in by concurrent requests are stored together, one INSERT per batch, and each
 * caller's promise resolves once its row is committed. A batch goes when it has `maxRows` or `maxWaitMs` has
 * passed since its first row; at most `maxInFlight` inserts run at once (the rest wait, and so do their callers).
 */
export class GroupCommit {
  #pending: { row: Row; done: (e?: unknown) => void }[] = [];
  #timer: NodeJS.Timeout | undefined;
  #inFlight = 0;

  constructor(
    private readonly db: OpenDb,
    private readonly opts = { maxRows: 200, maxWaitMs: Number(process.env.GC_WAIT ?? 2), maxInFlight: 2 },
  ) {}

  store(row: Row): Promise<void> {
    return new Promise((resolve, reject) => {
      this.#pending.push({ row, done: (e) => (e ? reject(e) : resolve()) });
      if (this.#pending.length >= this.opts.maxRows) this.#flush();
      else this.#timer ??= setTimeout(() => this.#flush(), this.opts.maxWaitMs);
    });
  }

  #flush(): void {
    clearTimeout(this.#timer);
    this.#timer = undefined;
    if (!this.#pending.length || this.#inFlight >= this.opts.maxInFlight) return;
    const batch = this.#pending.splice(0, this.opts.maxRows);
    this.#inFlight++;
    insertUnnest(
      this.db,
      batch.map((p) => p.row),
    )
      .then(
        () => batch.forEach((p) => p.done()),
        (e: unknown) => batch.forEach((p) => p.done(e ?? new Error("insert failed"))),
      )
      .finally(() => {
        this.#inFlight--;
        this.#flush();
      });
  }
}

/**
 * `openssl speed -seconds N sm2` on one core (or `multi` processes): OpenSSL's own SM2 sign/s and verify/s, the
 * reference of the SM2 goal (≥ 0.5× sign/s). Without `-elapsed` openssl counts CPU seconds, not wall-clock seconds:
 * on a shared, loaded machine that figure stays high while every wall-clock rate falls, so both are taken.
 */
export function opensslSm2Speed(seconds = 5, elapsed = false, multi = 1): { sign: number; verify: number } {
  const args = ["speed", ...(elapsed ? ["-elapsed"] : []), ...(multi > 1 ? ["-multi", String(multi)] : [])];
  const r = spawnSync("openssl", [...args, "-seconds", String(seconds), "sm2"], { encoding: "utf8" });
  const line = r.stdout.split("\n").find((l) => /SM2 \(CurveSM2\)/.test(l));
  const fields = line?.trim().split(/\s+/) ?? [];
  const sign = Number(fields[fields.length - 2]);
  const verify = Number(fields[fields.length - 1]);
  if (!Number.isFinite(sign)) throw new Error(`could not read openssl speed sm2:\n${r.stdout}${r.stderr}`);
  return { sign, verify };
}

/**
 * The lines the issuance benches print for an SM2 CA: which SM2 implementation signed (lib/crypto/sm2: OpenSSL
 * through koffi or sm-crypto-v2), the load, and the issued rate against openssl's SM2 sign/s in the same run —
 * per CPU second (openssl's default; `perCpuSecond` is issued per CPU second of the issuing process, when the bench
 * can count it), per wall-clock second (`-elapsed`), and against `-multi <cores>` (all cores, as the benches use).
 */
export function sm2GoalLines(issuedPerSecond: number, perCpuSecond?: number, seconds = 5): string[] {
  const verdict = (x: number) => `${x.toFixed(2)} (goal >= 0.5: ${x >= 0.5 ? "met" : "NOT met"})`;
  const impl = sm2Implementation();
  const lines = [
    `SM2 implementation: ${impl.impl}${impl.library ? ` — ${impl.library}` : ""}${impl.reason ? ` (fell back: ${impl.reason})` : ""} (SM2_IMPL=${process.env.SM2_IMPL ?? "auto"}); load average before openssl: ${os
      .loadavg()
      .map((l) => l.toFixed(2))
      .join(" ")}`,
  ];
  const cores = os.availableParallelism();
  const cpu = opensslSm2Speed(seconds);
  lines.push(
    `openssl speed -seconds ${seconds} sm2 (1 core, CPU time): ${cpu.sign.toFixed(0)} sign/s, ${cpu.verify.toFixed(0)} verify/s | issued per wall second / sign/s = ${verdict(issuedPerSecond / cpu.sign)}` +
      (perCpuSecond
        ? ` | issued per CPU second (${perCpuSecond.toFixed(0)}) / sign/s = ${verdict(perCpuSecond / cpu.sign)}`
        : ""),
  );
  const wall = opensslSm2Speed(seconds, true);
  lines.push(
    `openssl speed -elapsed -seconds ${seconds} sm2 (1 core, wall clock): ${wall.sign.toFixed(0)} sign/s, ${wall.verify.toFixed(0)} verify/s | issued/sign/s = ${verdict(issuedPerSecond / wall.sign)}`,
  );
  for (const elapsed of cores > 1 ? [false, true] : []) {
    const multi = opensslSm2Speed(seconds, elapsed, cores);
    lines.push(
      `openssl speed${elapsed ? " -elapsed" : ""} -multi ${cores} -seconds ${seconds} sm2 (all ${cores} cores, ${elapsed ? "wall clock" : "CPU time"}): ${multi.sign.toFixed(0)} sign/s, ${multi.verify.toFixed(0)} verify/s | issued per wall second / sign/s = ${verdict(issuedPerSecond / multi.sign)}`,
    );
  }
  lines.push(
    `load average after openssl: ${os
      .loadavg()
      .map((l) => l.toFixed(2))
      .join(" ")}`,
  );
  return lines;
}

/** The subject keys of the benches' CSRs (`--csr-key`). */
export type CsrKey = "rsa" | "p256" | "sm2";
export const CSR_KEY_NAMES: Record<CsrKey, string> = { rsa: "RSA-2048", p256: "EC P-256", sm2: "SM2" };
export const csrKeyOf = (v: string | undefined): CsrKey => (v === "p256" || v === "sm2" ? v : "rsa");
export function newCsrKey(k: CsrKey): KeyObject | Sm2KeyPair {
  if (k === "sm2") return generateSm2KeyPair();
  return k === "rsa"
    ? generateKeyPairSync("rsa", { modulusLength: 2048 }).privateKey
    : generateKeyPairSync("ec", { namedCurve: "P-256" }).privateKey;
}
