import { randomBytes } from "node:crypto";
import type { Db } from "@/lib/db";
import type { Prisma } from "@/lib/generated/prisma/client";
import { blindIndex, encryptField } from "@/lib/crypto/field";

/** A registry certificate inserted directly (the mail tests need rows, not a CA). */
export function insertCertificate(db: Db, over: Partial<Prisma.CertificateUncheckedCreateInput> & { notAfter: Date }) {
  const serial = over.serial ?? randomBytes(8).toString("hex");
  const idNumber = "370102199001011234";
  return db.certificate.create({
    data: {
      serial,
      subjectDn: `CN=测试证书${serial},L=dezhou,S=SD,C=CN`,
      issuerDn: "CN=Test CA,C=CN",
      holderName: "张三丰",
      holderIdType: "居民身份证",
      holderIdEnc: encryptField(idNumber),
      holderIdHash: blindIndex(idNumber),
      holderIdLast4: idNumber.slice(-4),
      email: "holder@example.cn",
      certType: "personal",
      payerClass: "self",
      keyAlgorithm: "EC-P256",
      spkiSha256: randomBytes(32).toString("hex"),
      notBefore: new Date(over.notAfter.getTime() - 365 * 86_400_000),
      der: Buffer.from([0x30, 0x00]),
      ...over,
    },
  });
}

/** An order in the given state for the certificate, with every required column filled. */
export function insertOrder(db: Db, certificateId: string, serial: string, state: Prisma.RenewalOrderUncheckedCreateInput["state"]) {
  return db.renewalOrder.create({
    data: {
      orderNo: `R${randomBytes(6).toString("hex")}`,
      certificateId,
      state,
      certSerial: serial,
      holderName: "张三丰",
      certType: "personal",
      payerClass: "self",
      fenPerYear: 5000,
      years: 1,
      priceFen: 5000,
      newNotAfter: new Date("2030-01-01T00:00:00Z"),
      handlerName: "李四",
      handlerIdType: "居民身份证",
      handlerIdEnc: encryptField("370102199001015678"),
      handlerIdLast4: "5678",
      handlerMobileEnc: encryptField("13812345678"),
      handlerMobileLast4: "5678",
      handlerEmail: "handler@example.cn",
    },
  });
}
