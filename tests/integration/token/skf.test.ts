import { execFileSync } from "node:child_process";
import { X509Certificate, createCipheriv, generateKeyPairSync, randomBytes, type KeyObject } from "node:crypto";
import fs from "node:fs";
import os from "node:os";
import path from "node:path";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { isDomainError } from "@/lib/errors";
import { children, content, readAll } from "@/lib/pki/der";
import { formatChallenge } from "@/lib/token/challenge";
import { SkfBackend, containerId } from "@/agent/backends/skf";
import { startAssistant } from "@/agent/server";
import { fixedClock } from "@/lib/dev/testing/clock";
import { log } from "@/lib/log";
import { serialHex } from "@/agent/x509";
import { issueFor, issueFromCsr, newKey, testCa, type TestCa } from "@/lib/dev/testing/openssl-certs";
import { generateSm2KeyPair } from "@/lib/crypto/sm2";
import { sealEnvelope, sm2PointOfSpki, sm2PrivateKeyObject } from "@/lib/token/enveloped-key";

/** SGD_SM4_ECB (GM/T 0006): the symmetric algorithm the enveloped blob's private key is encrypted with. */
const SGD_SM4_ECB = 0x00000401;

/**
 * An ENVELOPEDKEYBLOB (GM/T 0016 6.4.10) from its parts, for SKF_ImportECCKeyPair: an SM2 key pair whose private key
 * is encrypted with a symmetric key (SM4-ECB here), that key SM2-encrypted to the container's signing public key.
 *
 *   { ULONG Version = 1; ULONG ulSymmAlgID; ULONG ulBits = 256; BYTE cbEncryptedPriKey[64];
 *     ECCPUBLICKEYBLOB PubKey; ECCCIPHERBLOB { BYTE X[64]; BYTE Y[64]; BYTE HASH[32]; ULONG CipherLen; BYTE Cipher[] } }
 *
 * `encryptedPrivateKey` is the 64-byte PrivateKey field of ECCPRIVATEKEYBLOB (the 32-byte key right-aligned)
 * encrypted; `publicKey` and the cipher's point are 32-byte big-endian coordinates (C1), `hash` is C3, `ciphertext` C2.
 */
function envelopedKeyBlob(args: {
  symmAlgId?: number;
  encryptedPrivateKey: Buffer;
  publicKey: { x: Buffer; y: Buffer };
  cipher: { x: Buffer; y: Buffer; hash: Buffer; ciphertext: Buffer };
}): Buffer {
  const coord = (b: Buffer) => {
    if (b.length > 64) throw new Error("coordinate longer than 64 bytes");
    return Buffer.concat([Buffer.alloc(64 - b.length), b]);
  };
  const u32 = (n: number) => {
    const b = Buffer.alloc(4);
    b.writeUInt32LE(n);
    return b;
  };
  if (args.encryptedPrivateKey.length !== 64) throw new Error("cbEncryptedPriKey is 64 bytes");
  if (args.cipher.hash.length !== 32) throw new Error("HASH is 32 bytes");
  return Buffer.concat([
    u32(1),
    u32(args.symmAlgId ?? SGD_SM4_ECB),
    u32(256),
    args.encryptedPrivateKey,
    u32(256),
    coord(args.publicKey.x),
    coord(args.publicKey.y),
    coord(args.cipher.x),
    coord(args.cipher.y),
    args.cipher.hash,
    u32(args.cipher.ciphertext.length),
    args.cipher.ciphertext,
  ]);
}

/**
 * The SKF backend against a mock SKF library built here from C (tests/fixtures/skf-mock, gcc + libcrypto), with its
 * key store in a temporary directory: one RSA-2048 key and one SM2 key, each a device with application CERTRENEW,
 * user PIN 111111 (3 tries), admin PIN admin-0001 (5 tries) and one container holding the holder's key and
 * certificate, as a CA's enrolment station leaves them. Signatures, CSRs and certificates are checked with openssl.
 */

const ORIGIN = "https://renew.example.cn";
const NOW = "2026-11-25T10:00:00.000Z";
const DISTID = "distid:1234567812345678";
const MOCK_SRC = path.join(__dirname, "../../fixtures/skf-mock/skf_mock.c");

type Kind = "rsa" | "sm2";

let work: string;
let state: string;
let modulePath: string;
let ca: TestCa;
let backend: SkfBackend;
const tokens = {} as Record<Kind, { serial: string; container: string; key: KeyObject; cert: Buffer }>;

function openssl(args: string[], input?: Buffer): Buffer {
  return execFileSync("openssl", args, { input, stdio: ["pipe", "pipe", "pipe"] });
}

function file(name: string, data: Buffer | string): string {
  const p = path.join(work, name);
  fs.writeFileSync(p, data);
  return p;
}

function sm2Certificate(key: KeyObject, subject: string): Buffer {
  const keyPem = file("sm2-holder.pem", key.export({ type: "pkcs8", format: "pem" }));
  const csr = openssl(["req", "-new", "-key", keyPem, "-subj", subject, "-sm3", "-sigopt", DISTID, "-outform", "DER"]);
  return issueFromCsr(ca, csr);
}

/** The state the mock reads: <dir>/<device>/device, …/<application>/pin, …/<container>/sign.key + sign.cer. */
function provision(kind: Kind, device: string, serial: string, container: string): void {
  const key = kind === "rsa" ? newKey("rsa") : generateKeyPairSync("ec", { namedCurve: "SM2" }).privateKey;
  const subject = `/C=CN/ST=SD/L=dezhou/O=Dezhou Test/CN=holder-${kind}`;
  const cert = kind === "rsa" ? issueFor(ca, key, subject) : sm2Certificate(key, subject);
  const dir = path.join(state, device, "CERTRENEW", container);
  fs.mkdirSync(dir, { recursive: true });
  // the SM2 key's label in GBK, as Chinese Windows middleware reports it ("测试" is b2e2 cad4)
  const label = kind === "sm2" ? Buffer.concat([Buffer.from("b2e2cad4", "hex"), Buffer.from(` ${device}`)]) : device;
  fs.writeFileSync(
    path.join(state, device, "device"),
    Buffer.concat([Buffer.from("label="), Buffer.from(label), Buffer.from(`\nserial=${serial}\n`)]),
  );
  fs.writeFileSync(
    path.join(state, device, "CERTRENEW", "pin"),
    "user=111111\nadmin=admin-0001\nuserMax=3\nuserLeft=3\nadminMax=5\nadminLeft=5\n",
  );
  fs.writeFileSync(path.join(dir, "sign.key"), key.export({ type: "pkcs8", format: "pem" }));
  fs.writeFileSync(path.join(dir, "sign.cer"), cert);
  tokens[kind] = { serial, container, key, cert };
}

function challengeFor(cert: Buffer, nonce: number): string {
  return formatChallenge({
    origin: ORIGIN,
    purpose: "login",
    serial: serialHex(cert),
    nonce: Buffer.alloc(32, nonce).toString("base64url"),
    issuedAt: NOW,
  });
}

/** `openssl dgst` verification of a signature over `data` with the key of `cert` (SM2: SM3 and the default ID). */
function opensslVerifies(kind: Kind, cert: Buffer, data: string, signatureB64: string): boolean {
  const pub = file("pub.pem", new X509Certificate(cert).publicKey.export({ type: "spki", format: "pem" }));
  const sig = file("sig.bin", Buffer.from(signatureB64, "base64"));
  const msg = file("msg.txt", data);
  const algorithm = kind === "rsa" ? ["-sha256"] : ["-sm3", "-sigopt", DISTID];
  try {
    openssl(["dgst", ...algorithm, "-verify", pub, "-signature", sig, msg]);
    return true;
  } catch {
    return false;
  }
}

function opensslVerifiesRequest(kind: Kind, csr: Buffer): boolean {
  const req = file("csr.der", csr);
  try {
    openssl(["req", "-inform", "DER", "-in", req, "-verify", "-noout", ...(kind === "sm2" ? ["-vfyopt", DISTID] : [])]);
    return true;
  } catch {
    return false;
  }
}

async function failure(p: Promise<unknown>): Promise<{ code: string; details: Record<string, unknown> }> {
  try {
    await p;
  } catch (e) {
    if (isDomainError(e)) return { code: e.code, details: e.details };
    throw e;
  }
  throw new Error("expected a failure");
}

beforeAll(() => {
  work = fs.mkdtempSync(path.join(os.tmpdir(), "skf-"));
  state = path.join(work, "state");
  modulePath = path.join(work, "libskfmock.so");
  execFileSync("gcc", ["-shared", "-fPIC", "-O1", "-o", modulePath, MOCK_SRC, "-lcrypto"], { stdio: "pipe" });
  process.env.SKF_MOCK_DIR = state;
  ca = testCa();
  provision("rsa", "USBKEY-RSA", "RSA00001", "holder-rsa");
  provision("sm2", "USBKEY-SM2", "SM200001", "{5C2D0E61-1A2B-4C3D-8E9F-0123456789AB}");
  backend = new SkfBackend({ modulePath });
}, 60_000);

afterAll(async () => {
  await backend?.close();
  fs.rmSync(work, { recursive: true, force: true });
});

describe("SKF backend on the mock SKF library", () => {
  it("lists devices, applications and containers with the PIN's retry count, without the PIN", async () => {
    const list = await backend.listTokens();
    expect(list.map((t) => t.id)).toEqual(["skf:RSA00001", "skf:SM200001"]);
    expect(list[0]).toMatchObject({
      label: "USBKEY-RSA",
      pin: { triesLeft: 3, countLow: false, finalTry: false, locked: false },
      certificates: [{ id: containerId("holder-rsa"), subjectCN: "holder-rsa", keyAlgorithm: "RSA-2048" }],
    });
    expect(list[1].label).toBe("测试 USBKEY-SM2");
    expect(list[1].certificates).toMatchObject([
      { id: containerId(tokens.sm2.container), subjectCN: "holder-sm2", keyAlgorithm: "SM2" },
    ]);
    expect(list[1].certificates[0].der).toBe(tokens.sm2.cert.toString("base64"));
  });

  it.each(["rsa", "sm2"] as const)("signs a portal challenge with the %s key, verified by openssl", async (kind) => {
    const t = tokens[kind];
    const challenge = challengeFor(t.cert, 7);
    const result = await backend.sign(t.serial, {
      certId: containerId(t.container),
      pin: "111111",
      data: Buffer.from(challenge, "utf8"),
    });
    expect(result.algorithm).toBe(kind === "rsa" ? "RSA-SHA256" : "SM2-SM3");
    expect(result.certificate).toBe(t.cert.toString("base64"));
    expect(opensslVerifies(kind, t.cert, challenge, result.signature)).toBe(true);
    expect(opensslVerifies(kind, t.cert, challenge + " ", result.signature)).toBe(false);
  });

  it.each(["rsa", "sm2"] as const)(
    "a wrong PIN counts down and locks the %s key; the admin PIN unblocks it and is changed",
    async (kind) => {
      const t = tokens[kind];
      const args = { certId: containerId(t.container), data: Buffer.from(challengeFor(t.cert, 1)) };
      expect(await failure(backend.sign(t.serial, { ...args, pin: "000000" }))).toMatchObject({
        code: "PIN_INCORRECT",
        details: { triesLeft: 2, finalTry: false },
      });
      expect(await failure(backend.sign(t.serial, { ...args, pin: "000000" }))).toMatchObject({
        code: "PIN_INCORRECT",
        details: { triesLeft: 1, finalTry: true },
      });
      expect((await failure(backend.sign(t.serial, { ...args, pin: "000000" }))).code).toBe("PIN_LOCKED");
      expect(await backend.pinStatus(t.serial)).toMatchObject({ triesLeft: 0, locked: true });
      expect((await failure(backend.sign(t.serial, { ...args, pin: "111111" }))).code).toBe("PIN_LOCKED");

      expect(
        await failure(backend.unlock(t.serial, { soPin: "wrong-admin", newPin: "111111", newSoPin: "admin-0002" })),
      ).toMatchObject({ code: "SO_PIN_INCORRECT", details: { triesLeft: 4 } });
      await backend.unlock(t.serial, { soPin: "admin-0001", newPin: "111111", newSoPin: "admin-0002" });
      expect(await backend.pinStatus(t.serial)).toMatchObject({ triesLeft: 3, locked: false, countLow: false });
      await expect(backend.sign(t.serial, { ...args, pin: "111111" })).resolves.toMatchObject({});
      expect(
        (await failure(backend.unlock(t.serial, { soPin: "admin-0001", newPin: "111111", newSoPin: "x" }))).code,
      ).toBe("SO_PIN_INCORRECT");
      await backend.unlock(t.serial, { soPin: "admin-0002", newPin: "111111", newSoPin: "admin-0002" });
    },
  );

  it.each(["rsa", "sm2"] as const)(
    "keygen → openssl-verified CSR → install → read back replaces the %s container only after the new one holds the certificate",
    async (kind) => {
      const t = tokens[kind];
      const oldId = containerId(t.container);
      const keygen = await backend.keygen(t.serial, { certId: oldId, pin: "111111" });
      expect(keygen.keyAlgorithm).toBe(kind === "rsa" ? "RSA-2048" : "SM2");
      const csr = Buffer.from(keygen.csr, "base64");
      expect(opensslVerifiesRequest(kind, csr)).toBe(true);
      expect(openssl(["req", "-inform", "DER", "-noout", "-subject", "-in", file("c.der", csr)]).toString()).toContain(
        `holder-${kind}`,
      );
      if (kind === "sm2") {
        const text = openssl(["req", "-inform", "DER", "-noout", "-text", "-in", file("c.der", csr)]).toString();
        expect(text).toContain("SM2");
        expect(text).toMatch(/Signature Algorithm: SM2-with-SM3/);
      }
      const again = await backend.keygen(t.serial, { certId: oldId, pin: "111111" });
      expect(again.pendingId).toBe(keygen.pendingId);

      // the pending key is not a certificate yet: the list still shows the old one only
      const midway = (await backend.listTokens()).find((tok) => tok.serial === t.serial)!;
      expect(midway.certificates.map((c) => c.id)).toEqual([oldId]);

      const leaf = issueFromCsr(ca, csr);
      const installed = await backend.install(t.serial, { pin: "111111", certificates: [ca.der, leaf] });
      expect(installed).toMatchObject({ replacedId: oldId, certificate: { id: keygen.pendingId } });

      // a fresh backend (the assistant restarted) reads the new state from the key
      const reloaded = new SkfBackend({ modulePath });
      const after = (await reloaded.listTokens()).find((tok) => tok.serial === t.serial)!;
      expect(after.certificates.map((c) => [c.id, c.der])).toEqual([[keygen.pendingId, leaf.toString("base64")]]);

      const challenge = challengeFor(leaf, 9);
      const signed = await reloaded.sign(t.serial, {
        certId: keygen.pendingId,
        pin: "111111",
        data: Buffer.from(challenge),
      });
      expect(opensslVerifies(kind, leaf, challenge, signed.signature)).toBe(true);
      await reloaded.close();

      // a retried install answers as before
      await expect(backend.install(t.serial, { pin: "111111", certificates: [leaf, ca.der] })).resolves.toMatchObject({
        replacedId: null,
        certificate: { id: keygen.pendingId },
      });
      tokens[kind] = { ...t, container: Buffer.from(keygen.pendingId, "hex").toString("latin1"), cert: leaf };
    },
    60_000,
  );

  it("an install cut off after writing the certificate is finished by the retry, and keygen never overwrites it", async () => {
    const t = tokens.rsa;
    const oldId = containerId(t.container);
    const keygen = await backend.keygen(t.serial, { certId: oldId, pin: "111111" });
    const leaf = issueFromCsr(ca, Buffer.from(keygen.csr, "base64"));
    // as if the key were unplugged between SKF_ImportCertificate and SKF_DeleteContainer
    const pending = Buffer.from(keygen.pendingId, "hex").toString("latin1");
    fs.writeFileSync(path.join(state, "USBKEY-RSA", "CERTRENEW", pending, "sign.cer"), leaf);
    const both = (await backend.listTokens()).find((tok) => tok.serial === t.serial)!;
    expect(both.certificates.map((c) => c.id).sort()).toEqual([oldId, keygen.pendingId].sort());
    expect(
      (await failure(backend.keygen(t.serial, { certId: oldId, pin: "111111" }))).details.reason as string,
    ).toContain("already on the key");

    await expect(backend.install(t.serial, { pin: "111111", certificates: [leaf] })).resolves.toMatchObject({
      replacedId: oldId,
      certificate: { id: keygen.pendingId },
    });
    const after = (await backend.listTokens()).find((tok) => tok.serial === t.serial)!;
    expect(after.certificates.map((c) => c.id)).toEqual([keygen.pendingId]);
    tokens.rsa = { ...t, container: pending, cert: leaf };
  });

  it("install without a matching pending key is TOKEN_NO_PENDING_KEY", async () => {
    const stranger = issueFor(ca, newKey("rsa"), "/CN=stranger");
    expect((await failure(backend.install(tokens.rsa.serial, { pin: "111111", certificates: [stranger] }))).code).toBe(
      "TOKEN_NO_PENDING_KEY",
    );
  });

  it("imports an enveloped SM2 encryption key pair (SKF_ImportECCKeyPair) opened by the container's signing key", async () => {
    const t = tokens.sm2;
    const encryption = generateKeyPairSync("ec", { namedCurve: "SM2" });
    // node has no SM2 JWK: d from PKCS#8 { version, algorithm, OCTET STRING { ECPrivateKey { 1, d, … } } }
    const pkcs8 = encryption.privateKey.export({ type: "pkcs8", format: "der" });
    const d = content(children(readAll(content(children(readAll(pkcs8))[2])))[1]);
    const point = encryption.publicKey.export({ type: "spki", format: "der" }).subarray(-64);
    const sm4Key = randomBytes(16);
    const cipher = createCipheriv("sm4-ecb", sm4Key, null).setAutoPadding(false);
    const field = Buffer.concat([Buffer.alloc(64 - d.length), d]);
    const encryptedPrivateKey = Buffer.concat([cipher.update(field), cipher.final()]);
    // SM2-encrypt the SM4 key to the container's signing key, as a CA's key management centre does
    const signPub = file("sign-pub.pem", new X509Certificate(t.cert).publicKey.export({ type: "spki", format: "pem" }));
    const der = openssl(["pkeyutl", "-encrypt", "-pubin", "-inkey", signPub, "-in", file("sm4.bin", sm4Key)]);
    const [x, y, hash, ciphertext] = children(readAll(der)).map((n) => content(n));
    const strip = (b: Buffer) => (b.length > 32 ? b.subarray(b.length - 32) : b);
    const envelope = envelopedKeyBlob({
      encryptedPrivateKey,
      publicKey: { x: point.subarray(0, 32), y: point.subarray(32) },
      cipher: { x: strip(x), y: strip(y), hash, ciphertext },
    });

    const tampered = Buffer.from(envelope);
    tampered[12 + 64 + 132 + 128] ^= 1; // ECCCipherBlob.HASH: the SM2 decryption must refuse it
    expect(
      (
        await failure(
          backend.importEncryptionKeyPair(t.serial, {
            certId: containerId(t.container),
            pin: "111111",
            envelope: tampered,
          }),
        )
      ).code,
    ).toBe("TOKEN_MIDDLEWARE_ERROR");

    const imported = await backend.importEncryptionKeyPair(t.serial, {
      certId: containerId(t.container),
      pin: "111111",
      envelope,
    });
    expect(imported.publicKey.equals(encryption.publicKey.export({ type: "spki", format: "der" }))).toBe(true);
    // the signing certificate and key are untouched
    const list = (await backend.listTokens()).find((tok) => tok.serial === t.serial)!;
    expect(list.certificates.map((c) => c.der)).toEqual([t.cert.toString("base64")]);
  });

  it("dual-certificate install: the portal's envelope (lib/token/enveloped-key) goes in with SKF_ImportECCKeyPair before the signing certificate", async () => {
    const t = tokens.sm2;
    const oldId = containerId(t.container);
    const keygen = await backend.keygen(t.serial, { certId: oldId, pin: "111111" });
    const csr = Buffer.from(keygen.csr, "base64");
    const leaf = issueFromCsr(ca, csr);
    const pendingPoint = sm2PointOfSpki(new X509Certificate(leaf).publicKey.export({ type: "spki", format: "der" }));
    const encryption = generateSm2KeyPair();
    const encCert = sm2Certificate(
      sm2PrivateKeyObject(encryption.privateKey),
      "/C=CN/ST=SD/L=dezhou/O=Dezhou Test/CN=holder-sm2",
    );
    const envelope = sealEnvelope({ d: encryption.privateKey, recipient: pendingPoint });
    const pendingDir = path.join(
      state,
      "USBKEY-SM2",
      "CERTRENEW",
      Buffer.from(keygen.pendingId, "hex").toString("latin1"),
    );

    // sealed to another key: the device refuses it and the container stays pending (no certificate written)
    const foreign = generateSm2KeyPair().publicKey;
    const wrong = sealEnvelope({
      d: encryption.privateKey,
      recipient: { x: foreign.subarray(1, 33), y: foreign.subarray(33) },
    });
    expect(
      (
        await failure(
          backend.install(t.serial, { pin: "111111", certificates: [leaf, encCert, ca.der], envelope: wrong }),
        )
      ).code,
    ).toBe("TOKEN_ENVELOPE_INVALID");
    expect(fs.existsSync(path.join(pendingDir, "sign.cer"))).toBe(false);

    const installed = await backend.install(t.serial, {
      pin: "111111",
      certificates: [ca.der, encCert, leaf],
      envelope,
    });
    expect(installed).toMatchObject({ replacedId: oldId, certificate: { id: keygen.pendingId } });
    const listed = (await backend.listTokens()).find((tok) => tok.serial === t.serial)!;
    expect(listed.certificates).toHaveLength(1);
    expect(listed.certificates[0].encryption?.der).toBe(encCert.toString("base64"));
    // the mock keeps the imported key as OpenSSL does: its public key is the encryption certificate's
    const fromKey = openssl(["pkey", "-in", path.join(pendingDir, "enc.key"), "-pubout"]).toString();
    const fromCert = openssl([
      "x509",
      "-inform",
      "DER",
      "-in",
      file("enc.der", encCert),
      "-noout",
      "-pubkey",
    ]).toString();
    expect(fromKey).toBe(fromCert);
    tokens.sm2 = { ...t, container: Buffer.from(keygen.pendingId, "hex").toString("latin1"), cert: leaf };
  }, 60_000);

  it("serves the SKF keys over the assistant's HTTP API: list, PIN status, signing, a wrong PIN's count", async () => {
    const assistant = await startAssistant({
      backends: [backend],
      origins: [ORIGIN],
      port: 0,
      clock: fixedClock(NOW),
      log,
    });
    const call = async (pathname: string, body?: unknown) => {
      const res = await fetch(`http://127.0.0.1:${assistant.port}${pathname}`, {
        method: body === undefined ? "GET" : "POST",
        headers: { origin: ORIGIN, "content-type": "application/json" },
        body: body === undefined ? undefined : JSON.stringify(body),
      });
      return { status: res.status, json: (await res.json()) as Record<string, unknown> };
    };
    try {
      const t = tokens.sm2;
      const tokenId = `skf:${t.serial}`;
      const listed = await call("/v1/tokens");
      expect((listed.json.tokens as { id: string }[]).map((tok) => tok.id)).toContain(tokenId);
      const challenge = challengeFor(t.cert, 3);
      const signed = await call("/v1/sign", { tokenId, certId: containerId(t.container), pin: "111111", challenge });
      expect(signed.status).toBe(200);
      expect(signed.json.algorithm).toBe("SM2-SM3");
      expect(opensslVerifies("sm2", t.cert, challenge, signed.json.signature as string)).toBe(true);
      const wrong = await call("/v1/sign", { tokenId, certId: containerId(t.container), pin: "000000", challenge });
      expect(wrong.status).toBe(401);
      expect(wrong.json.error).toMatchObject({ code: "PIN_INCORRECT" });
      const status = await call(`/v1/pin-status?tokenId=${encodeURIComponent(tokenId)}`);
      expect(status.json.pin).toMatchObject({ triesLeft: 2, countLow: true, locked: false });
      await call("/v1/sign", { tokenId, certId: containerId(t.container), pin: "111111", challenge });
      expect(await backend.pinStatus(t.serial)).toMatchObject({ triesLeft: 3 });
    } finally {
      await assistant.close();
    }
  });
});
