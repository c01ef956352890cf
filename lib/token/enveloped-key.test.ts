import { execFileSync } from "node:child_process";
import { generateKeyPairSync } from "node:crypto";
import fs from "node:fs";
import os from "node:os";
import path from "node:path";
import { describe, expect, it } from "vitest";
import { generateSm2KeyPair } from "@/lib/crypto/sm2";
import { isDomainError } from "@/lib/errors";
import {
  SGD_SM4_ECB,
  decodeEnvelopedKeyBlob,
  openEnvelope,
  sealEnvelope,
  sm2PointOfSpki,
  sm2PrivateKeyObject,
  sm2PrivateScalar,
} from "./enveloped-key";

const tmp = fs.mkdtempSync(path.join(os.tmpdir(), "envelope-"));

function point(publicKey: Buffer) {
  return { x: publicKey.subarray(1, 33), y: publicKey.subarray(33, 65) };
}

/** Short-form DER (every part here is under 128 bytes): an independent writer for openssl's SM2Cipher. */
const tlv = (tag: number, body: Buffer) => Buffer.concat([Buffer.from([tag, body.length]), body]);
function uint(b: Buffer): Buffer {
  let i = 0;
  while (i < b.length - 1 && b[i] === 0 && !(b[i + 1] & 0x80)) i++;
  const v = b.subarray(i);
  return tlv(0x02, v[0] & 0x80 ? Buffer.concat([Buffer.from([0]), v]) : v);
}
const seq = (...parts: Buffer[]) => tlv(0x30, Buffer.concat(parts));
const octets = (b: Buffer) => tlv(0x04, b);

function codeOf(fn: () => unknown): string {
  try {
    fn();
  } catch (e) {
    if (isDomainError(e)) return e.code;
    throw e;
  }
  throw new Error("expected a failure");
}

describe("ENVELOPEDKEYBLOB (GM/T 0016 6.4.10)", () => {
  const signing = generateSm2KeyPair();
  const encryption = generateSm2KeyPair();
  const blob = sealEnvelope({ d: encryption.privateKey, recipient: point(signing.publicKey) });

  it("lays out the packed structure byte for byte: ULONGs little-endian, 64-byte fields right-aligned", () => {
    // Version, ulSymmAlgID, ulBits, cbEncryptedPriKey[64], PubKey{BitLen, X[64], Y[64]}, ECCCipherBlob{X, Y, HASH, CipherLen, Cipher}
    expect(blob.length).toBe(4 + 4 + 4 + 64 + (4 + 64 + 64) + (64 + 64 + 32 + 4) + 16);
    expect(blob.readUInt32LE(0)).toBe(1);
    expect(blob.readUInt32LE(4)).toBe(SGD_SM4_ECB);
    expect(blob.readUInt32LE(8)).toBe(256);
    expect(blob.readUInt32LE(76)).toBe(256);
    expect(blob.subarray(80, 112).equals(Buffer.alloc(32))).toBe(true);
    expect(blob.subarray(112, 144).equals(encryption.publicKey.subarray(1, 33))).toBe(true);
    expect(blob.subarray(144, 176).equals(Buffer.alloc(32))).toBe(true);
    expect(blob.subarray(176, 208).equals(encryption.publicKey.subarray(33, 65))).toBe(true);
    expect(blob.subarray(208, 240).equals(Buffer.alloc(32))).toBe(true);
    expect(blob.subarray(272, 304).equals(Buffer.alloc(32))).toBe(true);
    expect(blob.readUInt32LE(368)).toBe(16);
    expect(decodeEnvelopedKeyBlob(blob).cipher.ciphertext).toHaveLength(16);
  });

  it("opens with the signing key it was sealed to and gives back the encryption key", () => {
    const opened = openEnvelope(blob, signing.privateKey);
    expect(opened.d.equals(encryption.privateKey)).toBe(true);
  });

  it("opens with openssl alone: pkeyutl SM2-decrypts the SM4 key, enc -sm4-ecb the private key, which matches PubKey", () => {
    const parts = decodeEnvelopedKeyBlob(blob);
    const signingPem = path.join(tmp, "signing.pem");
    fs.writeFileSync(signingPem, sm2PrivateKeyObject(signing.privateKey).export({ type: "pkcs8", format: "pem" }));
    // SM2Cipher as openssl reads it, built here with the DER writer (not lib/crypto/sm2)
    const sm2Cipher = seq(
      uint(parts.cipher.x),
      uint(parts.cipher.y),
      octets(parts.cipher.hash),
      octets(parts.cipher.ciphertext),
    );
    fs.writeFileSync(path.join(tmp, "c.der"), sm2Cipher);
    const sm4Key = execFileSync("openssl", [
      "pkeyutl",
      "-decrypt",
      "-inkey",
      signingPem,
      "-in",
      path.join(tmp, "c.der"),
    ]);
    expect(sm4Key).toHaveLength(16);
    fs.writeFileSync(path.join(tmp, "k.enc"), parts.encryptedPrivateKey);
    const field = execFileSync("openssl", [
      "enc",
      "-d",
      "-sm4-ecb",
      "-nopad",
      "-K",
      sm4Key.toString("hex"),
      "-in",
      path.join(tmp, "k.enc"),
    ]);
    expect(field.subarray(0, 32).equals(Buffer.alloc(32))).toBe(true);
    // openssl derives the public key of that scalar: it must be the envelope's PubKey
    const sec1 = Buffer.concat([
      Buffer.from("30310201010420", "hex"),
      field.subarray(32),
      Buffer.from("a00a06082a811ccf5501822d", "hex"),
    ]);
    fs.writeFileSync(path.join(tmp, "enc.der"), sec1);
    const pub = execFileSync(
      "openssl",
      ["ec", "-inform", "DER", "-in", path.join(tmp, "enc.der"), "-pubout", "-outform", "DER"],
      {
        stdio: ["pipe", "pipe", "pipe"],
      },
    );
    const p = sm2PointOfSpki(pub);
    expect(p.x.equals(parts.publicKey.x) && p.y.equals(parts.publicKey.y)).toBe(true);
  });

  it("refuses an envelope for another signing key, a changed byte, a wrong version or length", () => {
    expect(codeOf(() => openEnvelope(blob, generateSm2KeyPair().privateKey))).toBe("TOKEN_ENVELOPE_INVALID");
    for (const offset of [20, 120, 340, 380]) {
      const tampered = Buffer.from(blob);
      tampered[offset] ^= 1;
      expect(codeOf(() => openEnvelope(tampered, signing.privateKey))).toBe("TOKEN_ENVELOPE_INVALID");
    }
    const v2 = Buffer.from(blob);
    v2.writeUInt32LE(2, 0);
    expect(codeOf(() => decodeEnvelopedKeyBlob(v2))).toBe("TOKEN_ENVELOPE_INVALID");
    expect(codeOf(() => decodeEnvelopedKeyBlob(blob.subarray(0, blob.length - 1)))).toBe("TOKEN_ENVELOPE_INVALID");
  });

  it("reads the scalar of a node:crypto SM2 key and rebuilds the same key", () => {
    const { privateKey } = generateKeyPairSync("ec", { namedCurve: "SM2" });
    const d = sm2PrivateScalar(privateKey);
    expect(
      sm2PrivateKeyObject(d)
        .export({ type: "pkcs8", format: "der" })
        .equals(privateKey.export({ type: "pkcs8", format: "der" })),
    ).toBe(true);
  });
});
