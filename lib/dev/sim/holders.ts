import { generateKeyPairSync, sign as cryptoSign, type KeyObject } from "node:crypto";
import { getConfig } from "../../config";
import { DAY } from "../../clock";
import type { Db } from "../../db";
import type { CertType, PayerClass } from "../../generated/prisma/client";
import type { Ca } from "../../pki/ca";
import { createCsr } from "../testing/csr-build";
import { issueHolderCertificate } from "../demo/certificates";
import { gb11643CheckChar, type HandlerInfo } from "../../renewal/handler";
import { registerCertificate } from "../../registry/register";

/**
 * Simulated holders: a certificate issued by the portal's CA for a key the simulation holds, registered like
 * an imported certificate, so the simulation signs challenges itself (no browser, assistant or token).
 */

export interface SimHolder {
  index: number;
  serial: string;
  certificateId: string;
  key: KeyObject;
  certType: CertType;
  payerClass: PayerClass;
}

/** A valid 18-character resident ID (check character per GB 11643) that differs per index. */
function residentId(index: number): string {
  const first17 = `37140119850101${String(index % 1000).padStart(3, "0")}`;
  return first17 + gb11643CheckChar(first17);
}

export function handlerFor(index: number): HandlerInfo {
  return {
    name: "张三",
    idType: "resident_id",
    idNumber: residentId(index),
    mobile: `138${String(10_000_000 + index).slice(-8)}`,
    email: `handler${index}@example.com`,
  };
}

/** Registers `count` holders whose certificates expire `daysLeft` days from now (inside the renewal window). */
export async function registerHolders(
  db: Db,
  ca: Ca,
  count: number,
  opts: { daysLeft?: number; certType?: CertType; payerClass?: PayerClass; prefix?: string } = {},
): Promise<SimHolder[]> {
  const out: SimHolder[] = [];
  const certType = opts.certType ?? "personal";
  const payerClass = opts.payerClass ?? "self";
  const notAfter = new Date(Date.now() + (opts.daysLeft ?? 10) * DAY);
  for (let i = 0; i < count; i++) {
    const key = generateKeyPairSync("ec", { namedCurve: "P-256" }).privateKey;
    const cn = `${opts.prefix ?? "压测证书"}${String(i).padStart(5, "0")}`;
    const { der } = await issueHolderCertificate({
      ca,
      subject: { C: "CN", ST: "SD", L: "dezhou", OU: `I3714${String(i).padStart(8, "0")}`, CN: cn },
      publicKey: key,
      notBefore: new Date(notAfter.getTime() - 365 * DAY),
      notAfter,
      certType,
    });
    const row = await registerCertificate(db, getConfig(), der, {
      holderName: cn,
      holderIdType: "resident_id",
      holderIdNumber: residentId(i),
      email: `holder${i}@example.com`,
      certType,
      payerClass,
    });
    out.push({ index: i, serial: row.serial, certificateId: row.id, key, certType, payerClass });
  }
  return out;
}

/** What the certificate assistant returns for a challenge: SHA-256 signature, DER-encoded for ECDSA, base64. */
export function signChallenge(key: KeyObject, text: string): string {
  return cryptoSign("sha256", Buffer.from(text, "utf8"), { key, dsaEncoding: "der" }).toString("base64");
}

/** The new key pair and its PKCS#10 request, as the token makes them for 下证. */
export function newKeyAndCsr(): { key: KeyObject; csr: Buffer } {
  const key = generateKeyPairSync("ec", { namedCurve: "P-256" }).privateKey;
  return { key, csr: createCsr(key, { C: "CN", CN: "renewal" }) };
}
