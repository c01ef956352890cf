import { randomBytes } from "node:crypto";
import type { Tx } from "../../db";
import type { Certificate, Prisma } from "../../generated/prisma/client";
import type { Actor } from "../../audit";
import type { HandlerInfo } from "../../renewal/handler";

/** A registry certificate row; the DER is any bytes here: the order code never parses it. */
export function insertCertificate(
  db: Tx,
  patch: Partial<Prisma.CertificateUncheckedCreateInput> = {},
): Promise<Certificate> {
  const serial = randomBytes(16).toString("hex");
  return db.certificate.create({
    data: {
      serial,
      subjectDn: `CN=测试证书${serial.slice(0, 6)},L=dezhou,S=SD,C=CN`,
      issuerDn: "CN=Test CA,C=CN",
      holderName: "德州市测试局",
      holderIdType: "organisation_code",
      holderIdEnc: "v1.test",
      holderIdHash: serial,
      holderIdLast4: "1234",
      certType: "organisation",
      payerClass: "self",
      keyAlgorithm: "EC-P256",
      spkiSha256: serial.padEnd(64, "0"),
      notBefore: new Date("2025-12-10T02:00:00Z"),
      notAfter: new Date("2026-12-10T02:00:00Z"),
      der: Buffer.from(serial, "hex"),
      ...patch,
    },
  });
}

export const HANDLER: HandlerInfo = {
  name: "张三",
  idType: "resident_id",
  idNumber: "370102199001011231",
  mobile: "13812345678",
  email: "zhangsan@example.com",
};

export const HOLDER: Actor = { type: "holder", id: "holder-session", ip: "203.0.113.7", userAgent: "vitest" };
export const SYSTEM: Actor = { type: "system", id: "test" };
