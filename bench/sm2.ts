/**
 * SM2 signatures in lib/crypto/sm2.ts, native (OpenSSL's EVP API through koffi) against js (sm-crypto-v2), next to
 * `openssl speed sm2` in the same run, and the native path's memory over a long loop (no leaked EVP_PKEY, EVP_MD_CTX
 * or EVP_PKEY_CTX: RSS must stay flat).
 *
 *   npx tsx bench/sm2.ts [--ms 2000] [--leak 100000]
 *
 * Rates are one thread, `--ms` of timed work per case, both per wall second and per CPU second of this process.
 * `--leak N` runs N of each native operation the portal does (the CA key signing a digest, a CSR's public key made
 * from its point and verifying, a one-shot sm2Sign that makes and frees its key) and prints RSS every N/10, after a
 * forced GC (run with `node --expose-gc` through tsx: `node --expose-gc --import tsx bench/sm2.ts`).
 */
import os from "node:os";
import { parseArgs } from "node:util";
import {
  generateSm2KeyPair,
  sm2Digest,
  sm2Sign,
  sm2SigningKey,
  sm2Verify,
  useSm2Implementation,
  type Sm2ImplChoice,
} from "../lib/crypto/sm2";
import { opensslSm2Speed } from "./lib/cert-store";

const { values } = parseArgs({
  options: { ms: { type: "string", default: "2000" }, leak: { type: "string", default: "100000" } },
});
const MS = Number(values.ms);
const LEAK = Number(values.leak);

const load = () =>
  os
    .loadavg()
    .map((l) => l.toFixed(2))
    .join(" ");
console.log(`command: ${process.argv.slice(1).join(" ")}`);
console.log(`${new Date().toISOString()} node ${process.version}, ${os.availableParallelism()} cores, load ${load()}`);

function rate(run: () => void): { wall: number; cpu: number } {
  for (let i = 0; i < 50; i++) run();
  const t0 = performance.now();
  const c0 = process.cpuUsage();
  let n = 0;
  while (performance.now() - t0 < MS) {
    run();
    n++;
  }
  const c = process.cpuUsage(c0);
  return { wall: n / ((performance.now() - t0) / 1000), cpu: n / ((c.user + c.system) / 1e6) };
}

const kp = generateSm2KeyPair();
const tbs = Buffer.alloc(700, 0x5a); // about a TBSCertificate
const csrInfo = Buffer.alloc(250, 0x33); // about a CertificationRequestInfo

for (const impl of ["native", "js"] as Sm2ImplChoice[]) {
  const info = useSm2Implementation(impl);
  const key = sm2SigningKey(kp.privateKey, kp.publicKey);
  const e = sm2Digest(tbs, kp.publicKey);
  const sig = key.sign(csrInfo);
  const sign = rate(() => key.signDigest(e));
  const verify = rate(() => sm2Verify(csrInfo, sig, kp.publicKey));
  key.close();
  console.log(
    `${impl.padEnd(6)} ${info.library ?? "sm-crypto-v2"}: sign (CA key, digest) ${sign.wall.toFixed(0)}/s wall, ${sign.cpu.toFixed(0)}/s per CPU s | verify (fresh public key from the point each time) ${verify.wall.toFixed(0)}/s wall, ${verify.cpu.toFixed(0)}/s per CPU s`,
  );
}
const cpu = opensslSm2Speed(5);
const wall = opensslSm2Speed(5, true);
console.log(
  `openssl speed -seconds 5 sm2: ${cpu.sign.toFixed(0)} sign/s, ${cpu.verify.toFixed(0)} verify/s (CPU time); -elapsed: ${wall.sign.toFixed(0)} sign/s, ${wall.verify.toFixed(0)} verify/s; load ${load()}`,
);

if (LEAK > 0) {
  useSm2Implementation("native");
  const gc = (globalThis as { gc?: () => void }).gc;
  const rss = () => {
    gc?.();
    return `${(process.memoryUsage().rss / 2 ** 20).toFixed(1)} MiB`;
  };
  const key = sm2SigningKey(kp.privateKey, kp.publicKey);
  const e = sm2Digest(tbs, kp.publicKey);
  const sig = key.sign(csrInfo);
  console.log(
    `native, ${LEAK} × (CA sign + verify with a fresh key + one-shot sm2Sign); gc ${gc ? "forced" : "NOT exposed"}`,
  );
  const start = rss();
  const marks: string[] = [];
  for (let i = 1; i <= LEAK; i++) {
    key.signDigest(e);
    if (!sm2Verify(csrInfo, sig, kp.publicKey)) throw new Error("verification failed");
    sm2Sign(csrInfo, kp.privateKey, { publicKey: kp.publicKey });
    if (i % (LEAK / 10) === 0) marks.push(rss());
  }
  key.close();
  console.log(`RSS: start ${start}; every ${LEAK / 10}: ${marks.join(", ")}; end ${rss()}`);
}
