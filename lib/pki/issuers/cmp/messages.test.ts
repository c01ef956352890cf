import { randomBytes } from "node:crypto";
import { mkdtempSync, rmSync, writeFileSync } from "node:fs";
import os from "node:os";
import path from "node:path";
import * as asn1js from "asn1js";
import { describe, expect, it } from "vitest";
import { children, DerError, readAll, seq } from "../../der";
import { formatName } from "../../name";
import {
  certConfBody,
  CERT_REQ_ID_NONE,
  directoryName,
  encodeHeader,
  encodeMessage,
  kurBody,
  parseMessage,
  parseStatusInfo,
  pollReqBody,
  rrBody,
  BODY,
} from "./messages";
import { CmpSettings, cmpSettingsFromEnv, nameFromSlashForm } from "./settings";

/** asn1js reads the bytes as one element and writes them back unchanged: well-formed DER, nothing left over. */
function roundTrips(der: Buffer) {
  const parsed = asn1js.fromBER(new Uint8Array(der));
  expect(parsed.offset).toBe(der.length);
  expect(Buffer.from(parsed.result.toBER())).toEqual(der);
}

const spki = Buffer.from(
  "3059301306072a8648ce3d020106082a8648ce3d030107034200" + "04" + "11".repeat(32) + "22".repeat(32),
  "hex",
);
const name = nameFromSlashForm("/C=CN/O=Holder Org/CN=Holder");

describe("CMP message encoding", () => {
  const bodies = {
    kur: kurBody({
      oldIssuerDer: nameFromSlashForm("/CN=Issuing CA"),
      oldSerialDer: Buffer.from([0x02, 0x02, 0x00, 0x90]),
      subjectDer: name,
      spki,
      notBefore: new Date("2026-12-03T00:00:00Z"),
      notAfter: new Date("2050-01-01T00:00:00Z"),
    }),
    certConf: certConfBody(randomBytes(32), 0),
    certConfRejecting: certConfBody(randomBytes(32), 0, { failure: "badCertTemplate", text: "wrong key" }),
    certConfAfterP10cr: certConfBody(randomBytes(32), CERT_REQ_ID_NONE),
    pollReq: pollReqBody(0),
    rr: rrBody(nameFromSlashForm("/CN=Issuing CA"), Buffer.from([0x02, 0x01, 0x05]), 1),
  };

  it.each(Object.entries(bodies))("writes %s as DER that asn1js reads back to the same bytes", (_, body) => {
    const header = encodeHeader({
      sender: directoryName(seq()),
      recipient: directoryName(name),
      messageTime: new Date(),
      protectionAlg: seq(Buffer.from("06092a864886f67d07420d", "hex")),
      senderKID: Buffer.from("ref"),
      transactionID: randomBytes(16),
      senderNonce: randomBytes(16),
      recipNonce: randomBytes(16),
    });
    const message = encodeMessage(header, body, randomBytes(20), []);
    roundTrips(message);
    const parsed = parseMessage(message);
    expect(parsed.bodyDer).toEqual(body);
    expect(parsed.header.senderKID).toEqual(Buffer.from("ref"));
  });

  it("writes a rejecting certConf's failure as a named BIT STRING its reader sees again", () => {
    const [content] = children(readAll(bodies.certConfRejecting)); // [24] { SEQUENCE OF CertStatus }
    const [certStatus] = children(content);
    const [, , si] = children(certStatus);
    expect(parseStatusInfo(si)).toEqual({ status: 2, text: ["wrong key"], failures: ["badCertTemplate"] });
  });

  it("writes the kur's certTemplate times as RFC 5280 does (UTCTime before 2050, GeneralizedTime from 2050)", () => {
    const hex = bodies.kur.toString("hex");
    expect(hex).toContain(Buffer.from("261203000000Z").toString("hex"));
    expect(hex).toContain(Buffer.from("20500101000000Z").toString("hex"));
    expect(bodies.kur[0]).toBe(0xa0 | BODY.kur);
  });

  it("refuses trailing bytes and a message without body", () => {
    expect(() => parseMessage(Buffer.concat([seq(seq(), seq()), Buffer.from([0])]))).toThrow(DerError);
    expect(() => parseMessage(seq(seq()))).toThrow(DerError);
  });
});

describe("CMP settings", () => {
  const trusted = "-----BEGIN CERTIFICATE-----\nMIIB\n-----END CERTIFICATE-----\n";

  it("needs exactly one protection: ref + secret, or a certificate", () => {
    const base = { serverUrl: "http://ca.example/pkix/", trustedPem: trusted };
    expect(CmpSettings.safeParse({ ...base, ref: "r", secret: "s" }).success).toBe(true);
    expect(CmpSettings.safeParse({ ...base, certPem: trusted, keyPem: "k" }).success).toBe(true);
    expect(CmpSettings.safeParse({ ...base, ref: "r" }).success).toBe(false);
    expect(CmpSettings.safeParse(base).success).toBe(false);
    expect(CmpSettings.safeParse({ ...base, ref: "r", secret: "s", certPem: trusted }).success).toBe(false);
    expect(CmpSettings.safeParse({ ...base, ref: "r", secret: "s", trustedPem: "none" }).success).toBe(false);
    expect(CmpSettings.safeParse({ ...base, ref: "r", secret: "s", serverUrl: "ftp://x/" }).success).toBe(false);
  });

  it("reads CMP_* from the environment, the certificate files by path", () => {
    const dir = mkdtempSync(path.join(os.tmpdir(), "certrenew-cmp-settings-"));
    try {
      writeFileSync(path.join(dir, "trusted.pem"), trusted);
      const s = cmpSettingsFromEnv({
        CMP_SERVER_URL: "http://ca.example/pkix/",
        CMP_REF: "ra",
        CMP_SECRET: "secret",
        CMP_TRUSTED: path.join(dir, "trusted.pem"),
        CMP_RENEWAL_REQUEST: "p10cr",
      });
      expect(s).toMatchObject({ ref: "ra", secret: "secret", trustedPem: trusted, renewalRequest: "p10cr" });
      expect(s.maxWaitSeconds).toBe(30);
      expect(() => cmpSettingsFromEnv({ CMP_SERVER_URL: "http://x/", CMP_REF: "r", CMP_SECRET: "s" })).toThrow(
        /CMP_TRUSTED is missing/,
      );
      expect(() =>
        CmpSettings.parse({ serverUrl: "http://x/", ref: "r", secret: "s", trustedFile: path.join(dir, "none") }),
      ).toThrow(/cannot read trustedFile/);
    } finally {
      rmSync(dir, { recursive: true, force: true });
    }
  });

  it("writes slash-form names as the RFC 4514 string reads them back, most specific first", () => {
    expect(formatName(readAll(nameFromSlashForm("/C=CN/O=Example CA/CN=Issuing CA 1")))).toBe(
      "CN=Issuing CA 1,O=Example CA,C=CN",
    );
    expect(formatName(readAll(nameFromSlashForm("/O=a\\/b/CN=测试")))).toBe("CN=测试,O=a/b");
    expect(() => nameFromSlashForm("CN=x")).toThrow();
    expect(() => nameFromSlashForm("/XX=x")).toThrow();
  });
});
