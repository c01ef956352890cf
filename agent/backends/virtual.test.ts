import { execFileSync } from "node:child_process";
import { X509Certificate, generateKeyPairSync, randomBytes, verify } from "node:crypto";
import fs from "node:fs";
import os from "node:os";
import path from "node:path";
import { beforeEach, describe, expect, it } from "vitest";
import { isDomainError } from "@/lib/errors";
import {
  issueFor,
  issueFromCsr,
  newKey,
  opensslVerifiesCsr,
  pkcs7Bundle,
  selfSigned,
  testCa,
  type TestCa,
  type TestKeyType,
} from "@/lib/dev/testing/openssl-certs";
import { VirtualBackend } from "./virtual";
import { createVirtualToken, importKeyAndCertificate } from "@/lib/token/virtual-store";
import { scheduleUnplug } from "@/lib/dev/testing/virtual-token";
import { formatChallenge, verifyChallengeSignature } from "@/lib/token/challenge";

const SERIAL = "VT0001";
const OLD_ID = "0a0b";

async function codeOf(p: Promise<unknown>): Promise<{ code: string; details: Record<string, unknown> }> {
  try {
    await p;
  } catch (e) {
    if (isDomainError(e)) return { code: e.code, details: e.details };
    throw e;
  }
  throw new Error("expected a DomainError");
}

let ca: TestCa;
let dir: string;
let backend: VirtualBackend;
let oldCert: Buffer;

function setUp(type: TestKeyType): void {
  ca ??= testCa();
  dir = fs.mkdtempSync(path.join(os.tmpdir(), "vt-"));
  const token = createVirtualToken({ dir, label: "Demo key", serial: SERIAL, pin: "111111", soPin: "so-secret-1" });
  const key = newKey(type);
  oldCert = issueFor(ca, key, "/C=CN/ST=SD/L=dezhou/O=Dezhou Test Org/CN=测试证书2026");
  importKeyAndCertificate(token, { privateKey: key, certificateDer: oldCert, id: OLD_ID });
  backend = new VirtualBackend({ dir, testHooks: true });
}

const data = Buffer.from("CertRenew challenge v1\n…");

describe("virtual token PIN", () => {
  beforeEach(() => setUp("ec"));

  it("locks the PIN after 6 wrong tries and then refuses the right PIN too", async () => {
    for (let left = 5; left >= 1; left--) {
      const e = await codeOf(backend.sign(SERIAL, { certId: OLD_ID, pin: "000000", data }));
      expect(e.code).toBe("PIN_INCORRECT");
      expect(e.details).toMatchObject({ triesLeft: left, finalTry: left === 1, countLow: true });
    }
    expect((await codeOf(backend.sign(SERIAL, { certId: OLD_ID, pin: "000000", data }))).code).toBe("PIN_LOCKED");
    expect((await codeOf(backend.sign(SERIAL, { certId: OLD_ID, pin: "111111", data }))).code).toBe("PIN_LOCKED");
    expect(await backend.pinStatus(SERIAL)).toMatchObject({ locked: true, triesLeft: 0 });
  });

  it("resets the retry counter after a right PIN", async () => {
    await codeOf(backend.sign(SERIAL, { certId: OLD_ID, pin: "000000", data }));
    expect(await backend.pinStatus(SERIAL)).toMatchObject({ triesLeft: 5, countLow: true });
    await backend.sign(SERIAL, { certId: OLD_ID, pin: "111111", data });
    expect(await backend.pinStatus(SERIAL)).toMatchObject({ triesLeft: 6, countLow: false, locked: false });
  });

  it("SO unlock sets a new user PIN on a locked token, keeps the keys, and rotates the SO PIN", async () => {
    for (let i = 0; i < 6; i++) await codeOf(backend.sign(SERIAL, { certId: OLD_ID, pin: "000000", data }));
    expect(
      (await codeOf(backend.unlock(SERIAL, { soPin: "wrong-so", newPin: "222222", newSoPin: "so-secret-2" }))).code,
    ).toBe("SO_PIN_INCORRECT");
    await backend.unlock(SERIAL, { soPin: "so-secret-1", newPin: "222222", newSoPin: "so-secret-2" });
    const signed = await backend.sign(SERIAL, { certId: OLD_ID, pin: "222222", data });
    expect(
      verify(
        "sha256",
        data,
        { key: new X509Certificate(oldCert).publicKey, dsaEncoding: "der" },
        Buffer.from(signed.signature, "base64"),
      ),
    ).toBe(true);
    expect((await codeOf(backend.sign(SERIAL, { certId: OLD_ID, pin: "111111", data }))).code).toBe("PIN_INCORRECT");
    expect(
      (await codeOf(backend.unlock(SERIAL, { soPin: "so-secret-1", newPin: "333333", newSoPin: "x-so-3" }))).code,
    ).toBe("SO_PIN_INCORRECT");
  });

  it("stores neither the PIN nor a private key in clear", async () => {
    await backend.keygen(SERIAL, { certId: OLD_ID, pin: "111111" });
    const text = fs.readFileSync(path.join(dir, `${SERIAL}.json`), "utf8");
    expect(text).not.toContain("111111");
    expect(text).not.toContain("so-secret-1");
    expect(text).not.toMatch(/PRIVATE KEY/);
    // no value is a DER private key (PKCS#8, PKCS#1 or SEC1: a SEQUENCE opening with INTEGER 0 or 1); a looser
    // pattern ("MIG" and 20 more base64 characters) also matched the wrapped keys' random bytes now and then
    const values = (text.match(/"[A-Za-z0-9+/=]{40,}"/g) ?? []).map((v) => Buffer.from(v.slice(1, -1), "base64"));
    expect(values.length).toBeGreaterThan(0);
    expect(values.filter(isDerPrivateKey)).toEqual([]);
  });
});

/** A SEQUENCE whose first element is INTEGER 0 or 1: how PKCS#8, PKCS#1 and SEC1 private keys begin. */
function isDerPrivateKey(der: Buffer): boolean {
  if (der[0] !== 0x30 || der.length < 8) return false;
  const at = der[1] < 0x80 ? 2 : 2 + (der[1] & 0x7f);
  return der[at] === 0x02 && der[at + 1] === 0x01 && (der[at + 2] === 0 || der[at + 2] === 1);
}

describe("virtual token renewal", () => {
  it.each(["ec", "rsa", "sm2"] as const)(
    "makes a %s key of the old key's family on the token and a CSR that openssl verifies",
    async (type) => {
      setUp(type);
      const result = await backend.keygen(SERIAL, { certId: OLD_ID, pin: "111111" });
      const csr = Buffer.from(result.csr, "base64");
      expect(opensslVerifiesCsr(csr)).toBe(true);
      expect(result.keyAlgorithm).toBe({ rsa: "RSA-2048", ec: "EC-P256", sm2: "SM2" }[type]);
      const again = await backend.keygen(SERIAL, { certId: OLD_ID, pin: "111111" });
      expect(again.pendingId).toBe(result.pendingId);
    },
  );

  it("keeps the old certificate until the new one is read back, and a retry after an unplug completes with the same pending key", async () => {
    setUp("ec");
    const { pendingId, csr } = await backend.keygen(SERIAL, { certId: OLD_ID, pin: "111111" });
    const newCert = issueFromCsr(ca, Buffer.from(csr, "base64"));
    const bundle = [newCert, ca.der];

    scheduleUnplug(dir, SERIAL, "install:after-write");
    expect((await codeOf(backend.install(SERIAL, { pin: "111111", certificates: bundle }))).code).toBe("TOKEN_REMOVED");
    const [midway] = await backend.listTokens();
    expect(midway.certificates.map((c) => c.id).sort()).toEqual([OLD_ID, pendingId].sort());

    const done = await backend.install(SERIAL, { pin: "111111", certificates: bundle });
    expect(done.certificate.id).toBe(pendingId);
    expect(done.replacedId).toBe(OLD_ID);
    const [after] = await backend.listTokens();
    expect(after.certificates.map((c) => c.id)).toEqual([pendingId]);
    expect(after.certificates[0].der).toBe(newCert.toString("base64"));

    const signed = await backend.sign(SERIAL, { certId: pendingId, pin: "111111", data });
    expect(
      verify(
        "sha256",
        data,
        { key: new X509Certificate(newCert).publicKey, dsaEncoding: "der" },
        Buffer.from(signed.signature, "base64"),
      ),
    ).toBe(true);
    expect((await codeOf(backend.sign(SERIAL, { certId: OLD_ID, pin: "111111", data }))).code).toBe(
      "TOKEN_CERT_NOT_FOUND",
    );

    const repeated = await backend.install(SERIAL, { pin: "111111", certificates: bundle });
    expect(repeated).toMatchObject({ replacedId: null, certificate: { id: pendingId } });
  });

  it("a retry after an unplug before the write also completes", async () => {
    setUp("rsa");
    const { pendingId, csr } = await backend.keygen(SERIAL, { certId: OLD_ID, pin: "111111" });
    const newCert = issueFromCsr(ca, Buffer.from(csr, "base64"));
    scheduleUnplug(dir, SERIAL, "install:before-write");
    expect((await codeOf(backend.install(SERIAL, { pin: "111111", certificates: [newCert] }))).code).toBe(
      "TOKEN_REMOVED",
    );
    const [midway] = await backend.listTokens();
    expect(midway.certificates.map((c) => c.id)).toEqual([OLD_ID]);
    expect((await backend.install(SERIAL, { pin: "111111", certificates: [newCert] })).certificate.id).toBe(pendingId);
  });

  it("ignores unplug flags unless test hooks are on", async () => {
    setUp("ec");
    const production = new VirtualBackend({ dir });
    scheduleUnplug(dir, SERIAL, "sign");
    await expect(production.sign(SERIAL, { certId: OLD_ID, pin: "111111", data })).resolves.toMatchObject({
      algorithm: "ECDSA-SHA256",
    });
    expect((await codeOf(backend.sign(SERIAL, { certId: OLD_ID, pin: "111111", data }))).code).toBe("TOKEN_REMOVED");
  });

  it("refuses a bundle whose certificate matches no pending key and changes nothing", async () => {
    setUp("ec");
    await backend.keygen(SERIAL, { certId: OLD_ID, pin: "111111" });
    const before = fs.readFileSync(path.join(dir, `${SERIAL}.json`), "utf8");
    const stranger = issueFor(ca, newKey("ec"), "/CN=someone else");
    expect((await codeOf(backend.install(SERIAL, { pin: "111111", certificates: [stranger, ca.der] }))).code).toBe(
      "TOKEN_NO_PENDING_KEY",
    );
    expect(fs.readFileSync(path.join(dir, `${SERIAL}.json`), "utf8")).toBe(before);
  });

  it("needs the PIN to install", async () => {
    setUp("ec");
    const { csr } = await backend.keygen(SERIAL, { certId: OLD_ID, pin: "111111" });
    const newCert = issueFromCsr(ca, Buffer.from(csr, "base64"));
    expect((await codeOf(backend.install(SERIAL, { pin: "999999", certificates: [newCert] }))).code).toBe(
      "PIN_INCORRECT",
    );
    const [token] = await backend.listTokens();
    expect(token.certificates.map((c) => c.id)).toEqual([OLD_ID]);
  });
});

describe("virtual token with an SM2 key", () => {
  const challenge = formatChallenge({
    origin: "https://renew.example.cn",
    purpose: "login",
    serial: "0a",
    nonce: randomBytes(32).toString("base64url"),
    issuedAt: new Date().toISOString(),
  });

  it("signs a challenge SM2-with-SM3 (default ID) that the portal and openssl verify", async () => {
    setUp("sm2");
    const signed = await backend.sign(SERIAL, { certId: OLD_ID, pin: "111111", data: Buffer.from(challenge) });
    expect(signed.algorithm).toBe("SM2-SM3");
    const spki = Buffer.from(new X509Certificate(oldCert).publicKey.export({ type: "spki", format: "der" }));
    expect(verifyChallengeSignature(challenge, signed.signature, spki)).toBe(true);
    expect(verifyChallengeSignature(challenge.replace("login", "revoke"), signed.signature, spki)).toBe(false);
    const work = fs.mkdtempSync(path.join(os.tmpdir(), "vt-sm2-"));
    const file = (name: string, data: Buffer | string) => {
      fs.writeFileSync(path.join(work, name), data);
      return path.join(work, name);
    };
    const out = execFileSync("openssl", [
      ...["dgst", "-sm3", "-verify", file("pub.der", spki), "-keyform", "DER"],
      ...["-sigopt", "distid:1234567812345678", "-signature", file("sig", Buffer.from(signed.signature, "base64"))],
      file("challenge", challenge),
    ]);
    expect(out.toString()).toContain("Verified OK");
  });

  it("makes an SM2 key for an RSA certificate when the portal asks for SM2 (migration), and openssl verifies its CSR", async () => {
    setUp("rsa");
    const result = await backend.keygen(SERIAL, { certId: OLD_ID, pin: "111111", algorithm: "SM2" });
    expect(result.keyAlgorithm).toBe("SM2");
    const csr = Buffer.from(result.csr, "base64");
    expect(opensslVerifiesCsr(csr)).toBe(true);
    const newCert = issueFromCsr(ca, csr);
    const done = await backend.install(SERIAL, { pin: "111111", certificates: [newCert, ca.der] });
    expect(done).toMatchObject({ replacedId: OLD_ID, certificate: { id: result.pendingId, keyAlgorithm: "SM2" } });
  });

  it("renews an SM2 key: the new key is SM2 and signs after the install", async () => {
    setUp("sm2");
    const { pendingId, csr } = await backend.keygen(SERIAL, { certId: OLD_ID, pin: "111111" });
    const newCert = issueFromCsr(ca, Buffer.from(csr, "base64"));
    await backend.install(SERIAL, { pin: "111111", certificates: [newCert, ca.der] });
    const [token] = await backend.listTokens();
    expect(token.certificates.map((c) => [c.id, c.keyAlgorithm])).toEqual([[pendingId, "SM2"]]);
    const signed = await backend.sign(SERIAL, { certId: pendingId, pin: "111111", data: Buffer.from(challenge) });
    const spki = new X509Certificate(newCert).publicKey.export({ type: "spki", format: "der" });
    expect(verifyChallengeSignature(challenge, signed.signature, spki)).toBe(true);
  });
});

describe("virtual token listing", () => {
  it("lists certificates of keys it cannot use by name, and skips damaged objects instead of hiding the key", async () => {
    setUp("ec");
    const file = JSON.parse(fs.readFileSync(path.join(dir, `${SERIAL}.json`), "utf8")) as {
      certificates: { id: string; der: string }[];
    };
    const ed = generateKeyPairSync("ed25519").privateKey;
    file.certificates.push(
      { id: "ee", der: selfSigned(ed, "/CN=ed25519 holder").toString("base64") },
      { id: "bad", der: "AAAA" },
    );
    fs.writeFileSync(path.join(dir, `${SERIAL}.json`), JSON.stringify(file));
    const [token] = await backend.listTokens();
    expect(token.certificates.map((c) => [c.id, c.keyAlgorithm])).toEqual([
      [OLD_ID, "EC-P256"],
      ["ee", "ED25519"],
    ]);
  });
});

describe("pkcs7 bundles", () => {
  it("installs the leaf out of an openssl certs-only PKCS#7", async () => {
    setUp("ec");
    const { certificatesFromPkcs7 } = await import("../x509");
    const { pendingId, csr } = await backend.keygen(SERIAL, { certId: OLD_ID, pin: "111111" });
    const newCert = issueFromCsr(ca, Buffer.from(csr, "base64"));
    const certs = certificatesFromPkcs7(Buffer.from(pkcs7Bundle([ca.der, newCert]), "base64"));
    expect(certs).toHaveLength(2);
    expect((await backend.install(SERIAL, { pin: "111111", certificates: certs })).certificate.id).toBe(pendingId);
  });
});
