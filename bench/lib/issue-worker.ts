/**
 * One issuance worker thread of bench/issue.ts: loads the CA from the same directory and passphrase as the main
 * thread, then for each batch of CSR indices runs the CA core's own steps (parseCsr: structure, key policy and
 * self-signature; buildCertificate: TBS + CA signature) and posts back the rows to store. The main thread only
 * batches the database inserts.
 */
import { parentPort, workerData } from "node:worker_threads";
import { parseConfig } from "../../lib/config";
import { loadCa } from "../../lib/pki/ca";
import { parseCsr } from "../../lib/pki/csr";
import { addOneYear, buildCertificate, randomSerialHex } from "../../lib/pki/issue";
import { PROFILES } from "../../lib/pki/profiles";

export interface IssueWorkerData {
  env: Record<string, string>;
  csrs: Uint8Array[];
  subjectDer: Uint8Array;
  oldNotAfter: number;
}

export interface IssuedRow {
  serial: string;
  spkiSha256: string;
  keyAlgorithm: string;
  notBefore: number;
  notAfter: number;
  der: Uint8Array;
}

const data = workerData as IssueWorkerData;
const ca = await loadCa(parseConfig(data.env));
const csrs = data.csrs.map((c) => Buffer.from(c));
const subjectDer = Buffer.from(data.subjectDer);
const notAfter = addOneYear(new Date(data.oldNotAfter));
const profile = PROFILES.personal;

parentPort!.on("message", async (indices: number[]) => {
  // parse and verify one after another (CPU on this thread), then sign them all at once (libuv's pool)
  const parsed = indices.map((i) => parseCsr(csrs[i % csrs.length]));
  const rows = await Promise.all(
    parsed.map(async (csr): Promise<IssuedRow> => {
      const serial = randomSerialHex();
      const notBefore = new Date(Math.floor(Date.now() / 1000) * 1000);
      const der = await buildCertificate({ subjectDer, spki: csr.spki, serial, notBefore, notAfter, profile, ca });
      return { serial, spkiSha256: csr.spkiSha256, keyAlgorithm: csr.keyAlgorithm, notBefore: notBefore.getTime(), notAfter: notAfter.getTime(), der };
    }),
  );
  parentPort!.postMessage(rows);
});
parentPort!.postMessage("ready");
