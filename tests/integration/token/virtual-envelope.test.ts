import "@/tests/helpers/env";
import { X509Certificate, generateKeyPairSync } from "node:crypto";
import fs from "node:fs";
import os from "node:os";
import path from "node:path";
import { beforeAll, beforeEach, describe, expect, it } from "vitest";
import { generateSm2KeyPair, sm2Pkcs8Decode, sm2SpkiEncode } from "@/lib/crypto/sm2";
import { isDomainError } from "@/lib/errors";
import type { Ca } from "@/lib/pki/ca";
import { issueHolderCertificate } from "@/lib/dev/demo/certificates";
import { fixedClock } from "@/lib/dev/testing/clock";
import { log } from "@/lib/log";
import { sealEnvelope, sm2PrivateKeyObject } from "@/lib/token/enveloped-key";
import {
  createVirtualToken,
  importKeyAndCertificate,
  openPrivateKey,
  readTokenFile,
  sealPrivateKey,
  unwrapMasterKey,
  writeTokenFile,
  type VirtualToken,
} from "@/lib/token/virtual-store";
import { VirtualBackend } from "@/agent/backends/virtual";
import { startAssistant } from "@/agent/server";
import { pkcs7Bundle } from "@/lib/dev/testing/openssl-certs";
import { createTestCa } from "@/tests/helpers/pki";

/**
 * The virtual token's half of dual-certificate 下证: install takes the KMC's ENVELOPEDKEYBLOB with the PKCS#7, opens
 * it with the pending SM2 signing key, and keeps the encryption pair and its certificate in the same container —
 * or writes nothing when the envelope does not open (SKF_ImportECCKeyPair's behaviour).
 */

const SERIAL = "VTSM2001";
const OLD_ID = "0a0b";
const PIN = "111111";
const ORIGIN = "https://renew.example.cn";
const subject = { C: "CN", ST: "SD", L: "dezhou", O: "Dezhou Test", CN: "国密测试证书" };
const validity = { notBefore: new Date("2026-11-25T00:00:00Z"), notAfter: new Date("2027-12-01T00:00:00Z") };

let ca: Ca;
let dir: string;
let token: VirtualToken;
let backend: VirtualBackend;
let pending: ReturnType<typeof generateSm2KeyPair>;
let pendingId: string;

async function certFor(publicKey: Buffer | ReturnType<typeof sm2PrivateKeyObject>): Promise<Buffer> {
  return (await issueHolderCertificate({ ca, subject, publicKey, ...validity, certType: "personal" })).der;
}

async function codeOf(p: Promise<unknown>): Promise<string> {
  try {
    await p;
  } catch (e) {
    if (isDomainError(e)) return e.code;
    throw e;
  }
  throw new Error("expected a DomainError");
}

beforeAll(async () => {
  ({ ca } = await createTestCa());
});

beforeEach(async () => {
  dir = fs.mkdtempSync(path.join(os.tmpdir(), "vt-sm2-"));
  token = createVirtualToken({ dir, label: "SM2 demo key", serial: SERIAL, pin: PIN, soPin: "so-secret-1" });
  const old = generateKeyPairSync("ec", { namedCurve: "P-256" }).privateKey;
  importKeyAndCertificate(token, { privateKey: old, certificateDer: await certFor(old), id: OLD_ID });
  // a pending SM2 signing key, as keygen leaves it (install reads neither the family nor how the key was made)
  pending = generateSm2KeyPair();
  pendingId = "5e5e";
  const file = readTokenFile(dir, SERIAL);
  const key = sm2PrivateKeyObject(pending.privateKey);
  file.keys.push({
    id: pendingId,
    family: { type: "sm2" },
    spki: sm2SpkiEncode(pending.publicKey).toString("base64"),
    sealed: sealPrivateKey(token.masterKey, SERIAL, pendingId, key),
    pendingFor: OLD_ID,
  });
  writeTokenFile(dir, file);
  backend = new VirtualBackend({ dir });
});

async function dualBundle() {
  const signingCert = await certFor(sm2PrivateKeyObject(pending.privateKey));
  const encryption = generateSm2KeyPair();
  const encCert = await certFor(sm2PrivateKeyObject(encryption.privateKey));
  const envelope = sealEnvelope({
    d: encryption.privateKey,
    recipient: { x: pending.publicKey.subarray(1, 33), y: pending.publicKey.subarray(33) },
  });
  return {
    signingCert,
    encCert,
    encryption,
    envelope,
    certificates: [signingCert, encCert, ca.issuingCert, ca.rootCert],
  };
}

describe("virtual token: dual-certificate install", () => {
  it("imports the enveloped encryption pair with the signing certificate, in the same container", async () => {
    const b = await dualBundle();
    const result = await backend.install(SERIAL, { pin: PIN, certificates: b.certificates, envelope: b.envelope });
    const encSerial = new X509Certificate(b.encCert).serialNumber.toLowerCase();
    expect(result.replacedId).toBe(OLD_ID);
    expect(result.certificate.id).toBe(pendingId);
    expect(result.certificate.encryption?.serial.replace(/^0+/, "")).toBe(encSerial.replace(/^0+/, ""));

    const listed = (await backend.listTokens())[0].certificates;
    expect(listed.map((c) => c.id)).toEqual([pendingId]);
    expect(listed[0].encryption?.der).toBe(b.encCert.toString("base64"));
    // the key on the token is the KMC's, sealed under the token master key like every other key
    const file = readTokenFile(dir, SERIAL);
    const key = file.keys.find((k) => k.id === pendingId)!;
    const masterKey = unwrapMasterKey(file.userWrap, PIN, "user", SERIAL)!;
    const stored = openPrivateKey(masterKey, SERIAL, { id: `${pendingId}/enc`, sealed: key.encryption!.sealed });
    expect(
      sm2Pkcs8Decode(stored.export({ type: "pkcs8", format: "der" })).privateKey.equals(b.encryption.privateKey),
    ).toBe(true);
  });

  it("writes nothing when the envelope was sealed to another key or its certificate is missing", async () => {
    const b = await dualBundle();
    const other = sealEnvelope({
      d: b.encryption.privateKey,
      recipient: (() => {
        const k = generateSm2KeyPair().publicKey;
        return { x: k.subarray(1, 33), y: k.subarray(33) };
      })(),
    });
    expect(await codeOf(backend.install(SERIAL, { pin: PIN, certificates: b.certificates, envelope: other }))).toBe(
      "TOKEN_ENVELOPE_INVALID",
    );
    expect(
      await codeOf(
        backend.install(SERIAL, { pin: PIN, certificates: [b.signingCert, ca.issuingCert], envelope: b.envelope }),
      ),
    ).toBe("TOKEN_ENVELOPE_INVALID");
    const file = readTokenFile(dir, SERIAL);
    expect(file.certificates.map((c) => c.id)).toEqual([OLD_ID]);
    expect(file.keys.find((k) => k.id === pendingId)?.pendingFor).toBe(OLD_ID);
  });

  it("takes the envelope over the assistant's HTTP API (POST /v1/install with envelope, then /v1/import-key)", async () => {
    const b = await dualBundle();
    const assistant = await startAssistant({
      backends: [backend],
      origins: [ORIGIN],
      port: 0,
      clock: fixedClock("2026-11-25T10:00:00.000Z"),
      log,
    });
    try {
      const res = await fetch(`http://127.0.0.1:${assistant.port}/v1/install`, {
        method: "POST",
        headers: { origin: ORIGIN, "content-type": "application/json" },
        body: JSON.stringify({
          tokenId: `virtual:${SERIAL}`,
          pin: PIN,
          pkcs7: pkcs7Bundle(b.certificates),
          envelope: b.envelope.toString("base64"),
        }),
      });
      expect(res.status).toBe(200);
      const body = (await res.json()) as { certificate: { encryption?: { der: string } } };
      expect(body.certificate.encryption?.der).toBe(b.encCert.toString("base64"));

      // key recovery: another escrowed key, enveloped to the installed signing key, imported beside it
      const recovered = generateSm2KeyPair();
      const recoveredCert = await certFor(sm2PrivateKeyObject(recovered.privateKey));
      const imported = await fetch(`http://127.0.0.1:${assistant.port}/v1/import-key`, {
        method: "POST",
        headers: { origin: ORIGIN, "content-type": "application/json" },
        body: JSON.stringify({
          tokenId: `virtual:${SERIAL}`,
          certId: pendingId,
          pin: PIN,
          envelope: sealEnvelope({
            d: recovered.privateKey,
            recipient: { x: pending.publicKey.subarray(1, 33), y: pending.publicKey.subarray(33) },
          }).toString("base64"),
          certificate: recoveredCert.toString("base64"),
        }),
      });
      expect(imported.status).toBe(200);
      const listed = (await backend.listTokens())[0].certificates[0];
      expect(listed.encryption?.der).toBe(recoveredCert.toString("base64"));
    } finally {
      await assistant.close();
    }
  });
});
