import "@/tests/helpers/env";
import { generateKeyPairSync } from "node:crypto";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import type { Ca } from "./ca";
import { addOneYear, buildCertificate, randomSerialHex } from "./issue";
import { encodeName } from "./name";
import { OID } from "./oids";
import { PROFILES } from "./profiles";
import { certificateInfo } from "./cert-info";
import { parseCertificate } from "./x509";
import { createTestCa } from "@/tests/helpers/pki";
import { rmSync } from "node:fs";

describe("addOneYear", () => {
  it("adds one calendar year to the second (the seed's 2018-08-03 17:38:33 → 2019-08-03 17:38:33)", () => {
    expect(addOneYear(new Date("2018-08-03T17:38:33Z")).toISOString()).toBe("2019-08-03T17:38:33.000Z");
  });
  it("drops milliseconds: certificate times have whole seconds", () => {
    expect(addOneYear(new Date("2026-01-31T23:59:59.999Z")).toISOString()).toBe("2027-01-31T23:59:59.000Z");
  });
  it("maps 29 February to 28 February of the next year", () => {
    expect(addOneYear(new Date("2028-02-29T08:00:00Z")).toISOString()).toBe("2029-02-28T08:00:00.000Z");
  });
  it("keeps 28 February and 1 March of a leap year as they are", () => {
    expect(addOneYear(new Date("2027-02-28T10:00:00Z")).toISOString()).toBe("2028-02-28T10:00:00.000Z");
    expect(addOneYear(new Date("2028-03-01T00:00:00Z")).toISOString()).toBe("2029-03-01T00:00:00.000Z");
  });
});

describe("randomSerialHex", () => {
  it("gives positive 16-byte serials with at least 64 random bits, all different", () => {
    const seen = new Set(Array.from({ length: 2000 }, randomSerialHex));
    expect(seen.size).toBe(2000);
    for (const s of seen) expect(s).toMatch(/^[4-7][0-9a-f]{31}$/);
  });
});

describe("buildCertificate", () => {
  let ca: Ca;
  let dir: string;
  beforeAll(async () => ({ ca, dir } = await createTestCa("P-256")));
  afterAll(() => rmSync(dir, { recursive: true, force: true }));

  it("writes the given subject DER, key, serial and validity, issued by the CA", async () => {
    const subject = encodeName({ C: "CN", O: "德州市政务服务中心", CN: "机构证书" });
    const spki = generateKeyPairSync("ec", { namedCurve: "P-256" }).publicKey.export({ type: "spki", format: "der" });
    const der = await buildCertificate({
      subjectDer: subject,
      spki,
      serial: "4a0102030405060708090a0b0c0d0e0f",
      notBefore: new Date("2026-11-25T10:00:00Z"),
      notAfter: new Date("2051-01-01T00:00:00Z"),
      profile: PROFILES.organisation,
      ca,
    });
    const info = certificateInfo(der);
    expect(info).toMatchObject({
      serial: "4a0102030405060708090a0b0c0d0e0f",
      subjectDn: "CN=机构证书,O=德州市政务服务中心,C=CN",
      issuerDn: ca.issuerDn,
      keyAlgorithm: "EC-P256",
    });
    expect(info.notBefore.toISOString()).toBe("2026-11-25T10:00:00.000Z");
    expect(info.notAfter.toISOString()).toBe("2051-01-01T00:00:00.000Z");
    expect(
      parseCertificate(der).subjectName.buf.subarray(
        parseCertificate(der).subjectName.start,
        parseCertificate(der).subjectName.end,
      ),
    ).toEqual(subject);
  });

  it("sets key encipherment for RSA keys only (profiles by key type)", async () => {
    const make = async (spki: Buffer) =>
      parseCertificate(
        await buildCertificate({
          subjectDer: encodeName({ C: "CN", CN: "x" }),
          spki,
          serial: randomSerialHex(),
          notBefore: new Date(),
          notAfter: new Date(Date.now() + 1e9),
          profile: PROFILES.personal,
          ca,
        }),
      );
    const rsa = await make(
      generateKeyPairSync("rsa", { modulusLength: 2048 }).publicKey.export({ type: "spki", format: "der" }),
    );
    const ec = await make(
      generateKeyPairSync("ec", { namedCurve: "P-384" }).publicKey.export({ type: "spki", format: "der" }),
    );
    // KeyUsage BIT STRING: 0x05 unused bits, 0xe0 = digitalSignature|nonRepudiation|keyEncipherment
    expect(rsa.extensions.get(OID.keyUsage)?.toString("hex")).toBe("030205e0");
    expect(ec.extensions.get(OID.keyUsage)?.toString("hex")).toBe("030206c0");
  });
});
