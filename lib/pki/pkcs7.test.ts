import "@/tests/helpers/env";
import { generateKeyPairSync } from "node:crypto";
import { rmSync } from "node:fs";
import * as asn1js from "asn1js";
import * as pkijs from "pkijs";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { createTestCa } from "@/tests/helpers/pki";
import type { Ca } from "./ca";
import { DerError } from "./der";
import { buildCertificate, randomSerialHex } from "./issue";
import { encodeName } from "./name";
import { OID } from "./oids";
import { pkcs7CertsOnly } from "./pkcs7";
import { PROFILES } from "./profiles";

describe("pkcs7CertsOnly", () => {
  let ca: Ca;
  let dir: string;
  beforeAll(async () => ({ ca, dir } = await createTestCa("P-256")));
  afterAll(() => rmSync(dir, { recursive: true, force: true }));

  it("is a certs-only SignedData that pkijs reads back: version 1, data content, no signers, the certificates in DER order", async () => {
    const spki = generateKeyPairSync("rsa", { modulusLength: 2048 }).publicKey.export({ type: "spki", format: "der" });
    const leaf = await buildCertificate({
      subjectDer: encodeName({ C: "CN", CN: "x" }),
      spki,
      serial: randomSerialHex(),
      notBefore: new Date(),
      notAfter: new Date(Date.now() + 1e9),
      profile: PROFILES.personal,
      ca,
    });
    const der = pkcs7CertsOnly([leaf, ...ca.chain]);

    const info = new pkijs.ContentInfo({ schema: asn1js.fromBER(der).result });
    expect(info.contentType).toBe(OID.signedData);
    const signed = new pkijs.SignedData({ schema: info.content });
    expect(signed.version).toBe(1);
    expect(signed.encapContentInfo.eContentType).toBe(OID.data);
    expect(signed.signerInfos).toEqual([]);
    expect(signed.digestAlgorithms).toEqual([]);
    const certs = (signed.certificates ?? []).map((c) => Buffer.from((c as pkijs.Certificate).toSchema().toBER()));
    // certificates [0] IMPLICIT SET OF: all of them, ascending by encoding whatever order they were given in
    expect(certs).toEqual([leaf, ...ca.chain].sort(Buffer.compare));
    expect(pkcs7CertsOnly([...ca.chain].reverse().concat(leaf))).toEqual(der);
    // and it is DER: pkijs encodes the same structure to the same bytes
    expect(Buffer.from(info.toSchema().toBER())).toEqual(der);
  });

  it("refuses anything that is not a certificate", () => {
    expect(() => pkcs7CertsOnly([Buffer.from("garbage")])).toThrow(DerError);
    expect(() => pkcs7CertsOnly([Buffer.from([0x02, 0x01, 0x05])])).toThrow(DerError);
  });
});
