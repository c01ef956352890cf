import "@/tests/helpers/env";
import { getConfig } from "@/lib/config";
import { mkdtempSync, writeFileSync } from "node:fs";
import os from "node:os";
import path from "node:path";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import type { OpenDb } from "@/lib/db";
import { DomainError } from "@/lib/errors";
import type { Ca } from "@/lib/pki/ca";
import { importCertificates, parseCsv, rowsFromCertificateFiles, rowsFromCsv } from "@/lib/registry/import";
import { issueHolderCertificate } from "@/lib/dev/demo/certificates";
import { derToPem } from "@/tests/helpers/pem";
import { generateKeyPairSync } from "node:crypto";
import { decryptField } from "@/lib/crypto/field";
import { createTestDb } from "@/tests/helpers/db";
import { createTestCa } from "@/tests/helpers/pki";

describe("certificate registry import", () => {
  let db: OpenDb;
  let ca: Ca;
  let dir: string;
  beforeAll(async () => {
    db = await createTestDb();
    ({ ca } = await createTestCa("P-256"));
    dir = mkdtempSync(path.join(os.tmpdir(), "import-"));
  });
  afterAll(() => db?.close());

  async function certFile(name: string, cn: string, pem = true) {
    const { der } = await issueHolderCertificate({
      ca,
      subject: { C: "CN", CN: cn },
      publicKey: generateKeyPairSync("ec", { namedCurve: "P-256" }).publicKey,
      notBefore: new Date(),
      notAfter: new Date(Date.now() + 30 * 86_400_000),
      certType: "personal",
    });
    writeFileSync(path.join(dir, name), pem ? derToPem(der) : der);
    return der;
  }

  it("parses quoted CSV fields with commas, quotes and line breaks, keeping each row's line", () => {
    expect(parseCsv('a,b\n"x, y","say ""hi"""\r\n\n"multi\nline",z\n')).toEqual([
      { line: 1, cells: ["a", "b"] },
      { line: 2, cells: ["x, y", 'say "hi"'] },
      { line: 4, cells: ["multi\nline", "z"] },
    ]);
  });

  it("imports nothing and lists every bad row with its line number", async () => {
    await certFile("good.pem", "张三");
    writeFileSync(path.join(dir, "junk.cer"), "not a certificate");
    const csv = path.join(dir, "bad.csv");
    writeFileSync(
      csv,
      [
        "cert_file,holder_name,holder_id_type,holder_id_number,cert_type,payer_class,email,token_serial",
        "good.pem,张三,resident_id,370101199001011234,personal,self,zs@example.cn,T1",
        "junk.cer,李四,resident_id,370101199001015678,personal,self,,",
        "good.pem,王五,resident_id,370101199001019999,company,self,,",
        "missing.pem,赵六,resident_id,370101199001010000,personal,unified,not-an-email,",
        "good.pem,钱七,resident_id",
      ].join("\n"),
    );
    const before = await db.prisma.certificate.count();
    const err = await importCertificates(db.prisma, getConfig(), rowsFromCsv(csv)).catch((e: unknown) => e);
    expect(err).toBeInstanceOf(DomainError);
    const problems = (err as DomainError).details.problems as { line: number; message: string }[];
    expect(problems.map((p) => p.line)).toEqual([3, 4, 5, 6]);
    expect(problems[0].message).toMatch(/junk.cer: not a readable X.509 certificate/);
    expect(problems[1].message).toMatch(/cert_type/);
    expect(problems[2].message).toMatch(/e-mail/);
    expect(problems[3].message).toMatch(/expected 8 fields, found 3/);
    expect(await db.prisma.certificate.count()).toBe(before);
  });

  it("imports a valid CSV in one go with encrypted holder IDs, and refuses to import the same serials again", async () => {
    const a = await certFile("a.pem", "单位甲");
    await certFile("b.cer", "个人乙", false);
    const csv = path.join(dir, "ok.csv");
    writeFileSync(
      csv,
      "\uFEFFholder_name,cert_file,holder_id_type,holder_id_number,cert_type,payer_class,email,token_serial\r\n" +
        '"单位甲",a.pem,uscc,91371400MA3C000001,organisation,unified,,DZ1\r\n' +
        "个人乙,b.cer,resident_id,370101199001011234,personal,self,b@example.cn,\r\n",
    );
    expect(await importCertificates(db.prisma, getConfig(), rowsFromCsv(csv))).toBe(2);
    const row = await db.prisma.certificate.findFirstOrThrow({ where: { holderName: "单位甲" } });
    expect(row).toMatchObject({
      certType: "organisation",
      payerClass: "unified",
      holderIdLast4: "0001",
      tokenSerial: "DZ1",
      issuerDn: ca.issuerDn,
    });
    expect(decryptField(getConfig(), row.holderIdEnc)).toBe("91371400MA3C000001");
    expect(Buffer.from(row.der)).toEqual(a);
    await expect(importCertificates(db.prisma, getConfig(), rowsFromCsv(csv))).rejects.toMatchObject({
      code: "CERT_IMPORT_INVALID",
      details: { problems: [{ line: 2 }, { line: 3 }] },
    });
  });

  it("imports bare PEM bundles with several certificates and the given type and payer class", async () => {
    const x = await certFile("x.pem", "甲");
    const y = await certFile("y.pem", "乙");
    const bundle = path.join(dir, "bundle.pem");
    writeFileSync(bundle, derToPem(x) + derToPem(y));
    expect(
      await importCertificates(
        db.prisma,
        getConfig(),
        rowsFromCertificateFiles([bundle], { certType: "organisation", payerClass: "self" }),
      ),
    ).toBe(2);
    expect(
      await db.prisma.certificate.count({ where: { holderName: { in: ["甲", "乙"] }, certType: "organisation" } }),
    ).toBe(2);
  });
});
