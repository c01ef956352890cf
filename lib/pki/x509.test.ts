import "@/tests/helpers/env";
import { generateKeyPairSync } from "node:crypto";
import { rmSync } from "node:fs";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import type { Ca } from "./ca";
import { DerError, bits, nul, oid, raw, seq, time, uint } from "./der";
import { buildCertificate } from "./issue";
import { encodeName } from "./name";
import { OID } from "./oids";
import { PROFILES } from "./profiles";
import { certificateSpki, certificateSubject, parseCertificate } from "./x509";
import { createTestCa } from "@/tests/helpers/pki";

describe("certificateSpki and certificateSubject", () => {
  let ca: Ca;
  let dir: string;
  beforeAll(async () => ({ ca, dir } = await createTestCa("P-256")));
  afterAll(() => rmSync(dir, { recursive: true, force: true }));

  const issued = (spki: Buffer) =>
    buildCertificate({
      subjectDer: encodeName({ C: "CN", CN: "张三" }),
      spki,
      serial: "4a0102030405060708090a0b0c0d0e0f",
      notBefore: new Date("2026-11-25T10:00:00Z"),
      notAfter: new Date("2027-11-25T10:00:00Z"),
      profile: PROFILES.personal,
      ca,
    });

  it("is the key pkijs' whole parse finds, for RSA and EC certificates and the CA's own", async () => {
    for (const pair of [
      generateKeyPairSync("rsa", { modulusLength: 2048 }),
      generateKeyPairSync("ec", { namedCurve: "P-256" }),
    ]) {
      const spki = pair.publicKey.export({ type: "spki", format: "der" });
      const der = await issued(spki);
      expect(certificateSpki(der).equals(spki)).toBe(true);
      expect(certificateSpki(der).equals(parseCertificate(der).spki)).toBe(true);
    }
    expect(certificateSpki(ca.issuingCert).equals(parseCertificate(ca.issuingCert).spki)).toBe(true);
  });

  it("reads the subject Name's exact bytes, as pkijs' whole parse finds them (not the issuer's)", async () => {
    const subject = encodeName({ C: "CN", O: "某某有限公司", CN: "张三" });
    const der = await buildCertificate({
      subjectDer: subject,
      spki: generateKeyPairSync("ec", { namedCurve: "P-256" }).publicKey.export({ type: "spki", format: "der" }),
      serial: "4a0102030405060708090a0b0c0d0e10",
      notBefore: new Date("2026-11-25T10:00:00Z"),
      notAfter: new Date("2027-11-25T10:00:00Z"),
      profile: PROFILES.personal,
      ca,
    });
    expect(certificateSubject(der).equals(subject)).toBe(true);
    expect(certificateSubject(der).equals(raw(parseCertificate(der).subjectName))).toBe(true);
    expect(certificateSubject(ca.issuingCert).equals(raw(parseCertificate(ca.issuingCert).subjectName))).toBe(true);
    expect(certificateSubject(der).equals(certificateSubject(ca.issuingCert))).toBe(false);
    expect(() => certificateSubject(der.subarray(0, der.length - 1))).toThrow(DerError);
  });

  it("reads a version 1 certificate (no [0] version field)", () => {
    const spki = generateKeyPairSync("ec", { namedCurve: "P-256" }).publicKey.export({ type: "spki", format: "der" });
    const alg = seq(oid(OID.ecdsaSha256));
    const name = encodeName({ C: "CN", CN: "v1" });
    const tbs = seq(uint(7), alg, name, seq(time(new Date()), time(new Date())), name, spki);
    const der = seq(tbs, alg, bits(Buffer.from([0x30, 0x00])));
    expect(certificateSpki(der).equals(spki)).toBe(true);
  });

  it("refuses what is not a certificate", async () => {
    const der = await issued(
      generateKeyPairSync("ec", { namedCurve: "P-256" }).publicKey.export({ type: "spki", format: "der" }),
    );
    expect(() => certificateSpki(der.subarray(0, der.length - 1))).toThrow(DerError);
    expect(() => certificateSpki(seq(seq(uint(1)), nul()))).toThrow(DerError);
    expect(() => certificateSpki(Buffer.from("not a certificate"))).toThrow(DerError);
  });
});
