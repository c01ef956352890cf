import { spawn, spawnSync } from "node:child_process";
import { generateKeyPairSync, type KeyObject } from "node:crypto";
import { mkdtempSync, writeFileSync } from "node:fs";
import os from "node:os";
import path from "node:path";
import { getConfig, resetConfig } from "@/lib/config";
import { blindIndex, encryptField } from "@/lib/crypto/field";
import type { Tx } from "@/lib/db";
import type { CertType, PayerClass } from "@/lib/generated/prisma/client";
import { ensureDevCa, loadCa, type Ca } from "@/lib/pki/ca";
import type { SubjectFields } from "@/lib/pki/name";
import { issueHolderCertificate } from "@/lib/dev/demo/certificates";
import type { SignerAlgorithm } from "@/lib/pki/signer";
import { derToPem } from "@/lib/pki/x509";

/** A fresh file-key CA (root + issuing) in a temp dir. */
export async function createTestCa(algorithm: SignerAlgorithm = "P-256"): Promise<{ ca: Ca; dir: string }> {
  const dir = mkdtempSync(path.join(os.tmpdir(), "certrenew-ca-"));
  process.env.CA_DIR = dir;
  process.env.PUBLIC_ORIGIN = "http://127.0.0.1:9";
  resetConfig();
  await ensureDevCa(dir, { algorithm, passphrase: getConfig().CA_KEY_PASSPHRASE! });
  return { ca: await loadCa(getConfig()), dir };
}

export const DEFAULT_SUBJECT: SubjectFields = {
  C: "CN",
  ST: "SD",
  L: "dezhou",
  OU: "I370101000000001",
  CN: "测试证书2018072403",
};

/** Stores a holder certificate signed by `ca` (a registry row like the seed's) and returns the row and its key. */
export async function insertHolderCertificate(
  db: Tx,
  ca: Ca,
  opts: {
    notBefore: Date;
    notAfter: Date;
    certType?: CertType;
    payerClass?: PayerClass;
    subject?: SubjectFields;
    key?: KeyObject;
  },
) {
  const key = opts.key ?? generateKeyPairSync("ec", { namedCurve: "P-256" }).privateKey;
  const certType = opts.certType ?? "personal";
  const { der, info } = await issueHolderCertificate({
    ca,
    subject: opts.subject ?? DEFAULT_SUBJECT,
    publicKey: key,
    notBefore: opts.notBefore,
    notAfter: opts.notAfter,
    certType,
  });
  const row = await db.certificate.create({
    data: {
      serial: info.serial,
      subjectDn: info.subjectDn,
      issuerDn: info.issuerDn,
      holderName: info.subjectCn ?? "holder",
      holderIdType: "id_card",
      holderIdEnc: encryptField("370101199001011234"),
      holderIdHash: blindIndex("370101199001011234"),
      holderIdLast4: "1234",
      email: "holder@example.cn",
      certType,
      payerClass: opts.payerClass ?? "self",
      keyAlgorithm: info.keyAlgorithm,
      spkiSha256: info.spkiSha256,
      notBefore: info.notBefore,
      notAfter: info.notAfter,
      der: new Uint8Array(der),
      tokenSerial: "TOKEN0001",
    },
  });
  return { row, key, der };
}

/** Writes DER certificates as PEM files into `dir` and returns their paths. */
export function writePem(dir: string, files: Record<string, Buffer>): Record<string, string> {
  const out: Record<string, string> = {};
  for (const [name, der] of Object.entries(files)) {
    out[name] = path.join(dir, `${name}.pem`);
    writeFileSync(out[name], derToPem(der));
  }
  return out;
}

/** Runs openssl; returns stdout + stderr, throws with both on a non-zero exit. */
export function openssl(args: string[], input?: Buffer): string {
  const r = spawnSync("openssl", args, { input, encoding: "utf8" });
  const out = `${r.stdout}${r.stderr}`;
  if (r.status !== 0) throw new Error(`openssl ${args.join(" ")} failed (${r.status}):\n${out}`);
  return out;
}

/** openssl without blocking the event loop: needed when it talks to a server in this process. */
export function opensslAsync(args: string[]): Promise<string> {
  return new Promise((resolve, reject) => {
    const p = spawn("openssl", args, { stdio: ["ignore", "pipe", "pipe"] });
    let out = "";
    p.stdout.on("data", (d: Buffer) => (out += d.toString()));
    p.stderr.on("data", (d: Buffer) => (out += d.toString()));
    p.on("error", reject);
    p.on("close", (code) =>
      code === 0 ? resolve(out) : reject(new Error(`openssl ${args.join(" ")} failed (${code}):\n${out}`)),
    );
  });
}
