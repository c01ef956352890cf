/**
 * One issuance worker thread of bench/lib/issue-pool.ts (bench/issue.ts, bench/issue-http.ts): loads the CA from
 * the same directory and passphrase as the main thread, then for each batch of CSRs (indices into the ones given at
 * start, or request bodies) runs the CA core's own steps (parseCsr: structure, key policy and self-signature;
 * buildCertificate: TBS + CA signature) and posts back the rows to store. The main thread stores them.
 */
import { parentPort, workerData } from "node:worker_threads";
import { DomainError } from "../../lib/errors";
import { parseConfig } from "../../lib/config";
import { loadCa } from "../../lib/pki/ca";
import { parseCsr, type ParsedCsr } from "../../lib/pki/csr";
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

/** A batch of CSRs to issue for: indices into the CSRs given at start, or request bodies (PKCS#10 DER). */
export interface IssueJob {
  id: number;
  items: (number | Uint8Array)[];
}
export type IssueResult = IssuedRow | { error: string };

function parse(item: number | Uint8Array): ParsedCsr | { error: string } {
  try {
    return parseCsr(
      typeof item === "number" ? csrs[item % csrs.length] : Buffer.from(item.buffer, item.byteOffset, item.byteLength),
    );
  } catch (e) {
    if (e instanceof DomainError) return { error: e.code };
    throw e;
  }
}

parentPort!.on("message", async ({ id, items }: IssueJob) => {
  // parse and verify them all, then build and sign (inline: this is a worker thread)
  const parsed = items.map(parse);
  const results = await Promise.all(
    parsed.map(async (csr): Promise<IssueResult> => {
      if ("error" in csr) return csr;
      const serial = randomSerialHex();
      const notBefore = new Date(Math.floor(Date.now() / 1000) * 1000);
      const der = await buildCertificate({ subjectDer, spki: csr.spki, serial, notBefore, notAfter, profile, ca });
      return {
        serial,
        spkiSha256: csr.spkiSha256,
        keyAlgorithm: csr.keyAlgorithm,
        notBefore: notBefore.getTime(),
        notAfter: notAfter.getTime(),
        der,
      };
    }),
  );
  parentPort!.postMessage({ id, results });
});
parentPort!.postMessage("ready");
