import {
  createCipheriv,
  createDecipheriv,
  createPrivateKey,
  createPublicKey,
  randomBytes,
  type KeyObject,
} from "node:crypto";
import { sm2 } from "sm-crypto-v2";
import { DomainError } from "../errors";

/**
 * The GM/T 0016-2012 enveloped key blob (6.4.10, ENVELOPEDKEYBLOB) in which a key management centre hands an SM2
 * encryption key pair to a USB key, and SKF_ImportECCKeyPair takes it. Packed C structs, ULONGs little-endian:
 *
 *   ENVELOPEDKEYBLOB { ULONG Version = 1; ULONG ulSymmAlgID = SGD_SM4_ECB; ULONG ulBits = 256;
 *                      BYTE cbEncryptedPriKey[64]; ECCPUBLICKEYBLOB PubKey; ECCCIPHERBLOB ECCCipherBlob }
 *   ECCPUBLICKEYBLOB { ULONG BitLen = 256; BYTE XCoordinate[64]; BYTE YCoordinate[64] }
 *   ECCCIPHERBLOB    { BYTE XCoordinate[64]; BYTE YCoordinate[64]; BYTE HASH[32]; ULONG CipherLen; BYTE Cipher[] }
 *
 * Coordinates are 32-byte big-endian values right-aligned in their 64-byte fields. cbEncryptedPriKey is the 64-byte
 * PrivateKey field of ECCPRIVATEKEYBLOB (d right-aligned) encrypted with a fresh SM4 key in ECB mode, no padding;
 * ECCCipherBlob is that SM4 key SM2-encrypted (GM/T 0003.4: C1 = the point, C3 = HASH, C2 = Cipher) to the
 * container's signing public key, so only the new key on the token can open it.
 *
 * Shared by the portal's KMC (sealEnvelope), the virtual token and the tests (openEnvelope). The mock SKF library
 * (tests/fixtures/skf-mock) reads the same bytes with OpenSSL.
 */

export const SGD_SM4_ECB = 0x00000401;
const VERSION = 1;
const BITS = 256;
const FIXED = 12 + 64 + (4 + 64 + 64) + (64 + 64 + 32 + 4);
const SM4_KEY_BYTES = 16;

/** An SM2 point: two 32-byte big-endian coordinates. */
export interface Sm2Point {
  x: Buffer;
  y: Buffer;
}

export interface EnvelopedKeyParts {
  symmAlgId: number;
  encryptedPrivateKey: Buffer;
  publicKey: Sm2Point;
  cipher: Sm2Point & { hash: Buffer; ciphertext: Buffer };
}

function u32(n: number): Buffer {
  const b = Buffer.alloc(4);
  b.writeUInt32LE(n);
  return b;
}

function field64(b: Buffer): Buffer {
  if (b.length !== 32) throw new Error("an SM2 coordinate is 32 bytes");
  return Buffer.concat([Buffer.alloc(32), b]);
}

/** A 64-byte field's value: the upper half must be zero (a 256-bit value right-aligned). */
function unfield64(b: Buffer, what: string): Buffer {
  if (b.subarray(0, 32).some((v) => v !== 0)) throw envelopeError(`${what} wider than 256 bits`);
  return Buffer.from(b.subarray(32));
}

function envelopeError(reason: string): DomainError {
  return new DomainError("TOKEN_ENVELOPE_INVALID", { reason });
}

export function encodeEnvelopedKeyBlob(parts: EnvelopedKeyParts): Buffer {
  if (parts.encryptedPrivateKey.length !== 64) throw new Error("cbEncryptedPriKey is 64 bytes");
  if (parts.cipher.hash.length !== 32) throw new Error("HASH is 32 bytes");
  return Buffer.concat([
    u32(VERSION),
    u32(parts.symmAlgId),
    u32(BITS),
    parts.encryptedPrivateKey,
    u32(BITS),
    field64(parts.publicKey.x),
    field64(parts.publicKey.y),
    field64(parts.cipher.x),
    field64(parts.cipher.y),
    parts.cipher.hash,
    u32(parts.cipher.ciphertext.length),
    parts.cipher.ciphertext,
  ]);
}

/** Reads an ENVELOPEDKEYBLOB strictly: version, sizes and lengths must be exact (TOKEN_ENVELOPE_INVALID). */
export function decodeEnvelopedKeyBlob(blob: Buffer): EnvelopedKeyParts {
  if (blob.length < FIXED + 1) throw envelopeError("too short");
  if (blob.readUInt32LE(0) !== VERSION) throw envelopeError("unknown version");
  if (blob.readUInt32LE(8) !== BITS || blob.readUInt32LE(76) !== BITS) throw envelopeError("not a 256-bit key");
  const cipherLen = blob.readUInt32LE(FIXED - 4);
  if (blob.length !== FIXED + cipherLen) throw envelopeError("CipherLen does not match the blob");
  const at = (offset: number, n: number) => Buffer.from(blob.subarray(offset, offset + n));
  return {
    symmAlgId: blob.readUInt32LE(4),
    encryptedPrivateKey: at(12, 64),
    publicKey: { x: unfield64(at(80, 64), "PubKey.X"), y: unfield64(at(144, 64), "PubKey.Y") },
    cipher: {
      x: unfield64(at(208, 64), "ECCCipherBlob.X"),
      y: unfield64(at(272, 64), "ECCCipherBlob.Y"),
      hash: at(336, 32),
      ciphertext: at(FIXED, cipherLen),
    },
  };
}

// ---- SM2 keys as raw values ----

const SM2_SPKI_PREFIX = Buffer.from("3059301306072a8648ce3d020106082a811ccf5501822d034200", "hex");
const SM2_SEC1_PREFIX = Buffer.from("30770201010420", "hex");
const SM2_SEC1_MIDDLE = Buffer.from("a00a06082a811ccf5501822da144034200", "hex");

/** Whether a SubjectPublicKeyInfo is an SM2 key (id-ecPublicKey on curve 1.2.156.10197.1.301). */
export function isSm2Spki(spki: Buffer): boolean {
  return (
    spki.length === SM2_SPKI_PREFIX.length + 65 && spki.subarray(0, SM2_SPKI_PREFIX.length).equals(SM2_SPKI_PREFIX)
  );
}

/** The point of an SM2 SubjectPublicKeyInfo (id-ecPublicKey, curve 1.2.156.10197.1.301, uncompressed point). */
export function sm2PointOfSpki(spki: Buffer): Sm2Point {
  if (!isSm2Spki(spki)) throw envelopeError("not an SM2 public key");
  const point = spki.subarray(SM2_SPKI_PREFIX.length);
  if (point[0] !== 4) throw envelopeError("not an uncompressed point");
  return { x: Buffer.from(point.subarray(1, 33)), y: Buffer.from(point.subarray(33, 65)) };
}

export function sm2SpkiOfPoint(p: Sm2Point): Buffer {
  return Buffer.concat([SM2_SPKI_PREFIX, Buffer.from([4]), p.x, p.y]);
}

/** The private scalar d of an SM2 private key (its SEC1 ECPrivateKey). */
export function sm2PrivateScalar(key: KeyObject): Buffer {
  const sec1 = key.export({ type: "sec1", format: "der" });
  if (!sec1.subarray(0, SM2_SEC1_PREFIX.length).equals(SM2_SEC1_PREFIX)) throw envelopeError("not an SM2 private key");
  return Buffer.from(sec1.subarray(SM2_SEC1_PREFIX.length, SM2_SEC1_PREFIX.length + 32));
}

/** d·G, checked on the curve: the public point of a private scalar. */
export function sm2PointOfScalar(d: Buffer): Sm2Point {
  const hex = sm2.getPublicKeyFromPrivateKey(d.toString("hex"));
  const raw = Buffer.from(hex, "hex");
  return { x: raw.subarray(1, 33), y: raw.subarray(33, 65) };
}

/** A node:crypto private key object for an SM2 scalar (for the virtual token's key store, openssl in tests). */
export function sm2PrivateKeyObject(d: Buffer): KeyObject {
  const p = sm2PointOfScalar(d);
  const sec1 = Buffer.concat([SM2_SEC1_PREFIX, d, SM2_SEC1_MIDDLE, Buffer.from([4]), p.x, p.y]);
  return createPrivateKey({ key: sec1, format: "der", type: "sec1" });
}

export function sm2PublicKeyObject(p: Sm2Point): KeyObject {
  return createPublicKey({ key: sm2SpkiOfPoint(p), format: "der", type: "spki" });
}

// ---- sealing and opening ----

function sm4Ecb(key: Buffer, data: Buffer, encrypt: boolean): Buffer {
  const c = encrypt ? createCipheriv("sm4-ecb", key, null) : createDecipheriv("sm4-ecb", key, null);
  c.setAutoPadding(false);
  return Buffer.concat([c.update(data), c.final()]);
}

/**
 * Seals an SM2 key pair (private scalar `d`) for the token whose signing public key is `recipient`: a fresh SM4
 * key encrypts d, SM2 encrypts the SM4 key to `recipient`.
 */
export function sealEnvelope(args: { d: Buffer; recipient: Sm2Point }): Buffer {
  if (args.d.length !== 32) throw new Error("an SM2 private key is 32 bytes");
  const sm4Key = randomBytes(SM4_KEY_BYTES);
  try {
    const encryptedPrivateKey = sm4Ecb(sm4Key, Buffer.concat([Buffer.alloc(32), args.d]), true);
    const recipientHex = `04${args.recipient.x.toString("hex")}${args.recipient.y.toString("hex")}`;
    // C1 ‖ C3 ‖ C2 (cipherMode 1), C1 without the 04 prefix
    const c = Buffer.from(sm2.doEncrypt(new Uint8Array(sm4Key), recipientHex, 1), "hex");
    return encodeEnvelopedKeyBlob({
      symmAlgId: SGD_SM4_ECB,
      encryptedPrivateKey,
      publicKey: sm2PointOfScalar(args.d),
      cipher: { x: c.subarray(0, 32), y: c.subarray(32, 64), hash: c.subarray(64, 96), ciphertext: c.subarray(96) },
    });
  } finally {
    sm4Key.fill(0);
  }
}

/**
 * Opens an envelope with the signing private scalar it was sealed to: SM2-decrypts the SM4 key (C3 checked),
 * decrypts d and checks d·G is PubKey. TOKEN_ENVELOPE_INVALID when any of it fails.
 */
export function openEnvelope(blob: Buffer, recipientD: Buffer): { d: Buffer; publicKey: Sm2Point } {
  const parts = decodeEnvelopedKeyBlob(blob);
  if (parts.symmAlgId !== SGD_SM4_ECB) throw envelopeError("symmetric algorithm not supported");
  const c = Buffer.concat([parts.cipher.x, parts.cipher.y, parts.cipher.hash, parts.cipher.ciphertext]);
  let sm4Key: Buffer;
  try {
    sm4Key = Buffer.from(sm2.doDecrypt(c.toString("hex"), recipientD.toString("hex"), 1, { output: "array" }));
  } catch {
    throw envelopeError("the signing key cannot open it");
  }
  if (sm4Key.length !== SM4_KEY_BYTES) throw envelopeError("the signing key cannot open it");
  const field = sm4Ecb(sm4Key, parts.encryptedPrivateKey, false);
  sm4Key.fill(0);
  const d = unfield64(field, "PrivateKey");
  const point = sm2PointOfScalar(d);
  if (!point.x.equals(parts.publicKey.x) || !point.y.equals(parts.publicKey.y))
    throw envelopeError("the private key does not match PubKey");
  return { d, publicKey: parts.publicKey };
}
