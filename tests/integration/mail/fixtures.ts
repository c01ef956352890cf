import { randomBytes } from "node:crypto";
import { getConfig } from "@/lib/config";
import type { Db } from "@/lib/db";
import type { Prisma } from "@/lib/generated/prisma/client";
import { encryptField } from "@/lib/crypto/field";
import { insertCertificate as insertRegistryCertificate } from "@/tests/helpers/orders";

/** A registry certificate of a personal holder with an e-mail on record, expiring at `notAfter`. */
export function insertCertificate(db: Db, over: Partial<Prisma.CertificateUncheckedCreateInput> & { notAfter: Date }) {
  return insertRegistryCertificate(db, {
    holderName: "张三丰",
    certType: "personal",
    email: "holder@example.cn",
    ...over,
  });
}

/** An order in the given state for the certificate, with every required column filled. */
export function insertOrder(
  db: Db,
  certificateId: string,
  serial: string,
  state: Prisma.RenewalOrderUncheckedCreateInput["state"],
) {
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
      handlerIdEnc: encryptField(getConfig(), "370102199001015678"),
      handlerIdLast4: "5678",
      handlerMobileEnc: encryptField(getConfig(), "13812345678"),
      handlerMobileLast4: "5678",
      handlerEmail: "handler@example.cn",
    },
  });
}
