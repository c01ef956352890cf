import { createPrivateKey, randomBytes, type KeyObject } from "node:crypto";
import {
  isSm2Spki,
  sm2Decrypt,
  sm2Encrypt,
  sm2Pkcs8Decode,
  sm2Pkcs8Encode,
  sm2PublicKeyOf,
  sm2SpkiDecode,
  sm2SpkiEncode,
  sm4Decrypt,
  sm4Encrypt,
} from "../crypto/sm2";
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

// ---- SM2 keys (lib/crypto/sm2: a public key is the 65-byte point 04‖x‖y, a private key the 32-byte scalar) ----

export { isSm2Spki };

function pointOf(publicKey: Buffer): Sm2Point {
  return { x: Buffer.from(publicKey.subarray(1, 33)), y: Buffer.from(publicKey.subarray(33, 65)) };
}

const pointBytes = (p: Sm2Point) => Buffer.concat([Buffer.from([4]), p.x, p.y]);

/** The SubjectPublicKeyInfo of an SM2 point. */
export function sm2SpkiOfPoint(p: Sm2Point): Buffer {
  return sm2SpkiEncode(pointBytes(p));
}

/** The point of an SM2 SubjectPublicKeyInfo; TOKEN_ENVELOPE_INVALID for any other key. */
export function sm2PointOfSpki(spki: Buffer): Sm2Point {
  try {
    return pointOf(sm2SpkiDecode(spki));
  } catch {
    throw envelopeError("not an SM2 public key");
  }
}

/** The private scalar d of an SM2 private key object (the virtual token keeps keys as node:crypto objects). */
export function sm2PrivateScalar(key: KeyObject): Buffer {
  try {
    return sm2Pkcs8Decode(key.export({ type: "pkcs8", format: "der" })).privateKey;
  } catch {
    throw envelopeError("not an SM2 private key");
  }
}

/** A node:crypto private key object for an SM2 scalar (the virtual token's key store, openssl in tests). */
export function sm2PrivateKeyObject(d: Buffer): KeyObject {
  return createPrivateKey({ key: sm2Pkcs8Encode(d), format: "der", type: "pkcs8" });
}

// ---- sealing and opening ----

/**
 * Seals an SM2 key pair (private scalar `d`) for the token whose signing public key is `recipient`: a fresh SM4
 * key encrypts d, SM2 encrypts the SM4 key to `recipient`.
 */
export function sealEnvelope(args: { d: Buffer; recipient: Sm2Point }): Buffer {
  if (args.d.length !== 32) throw new Error("an SM2 private key is 32 bytes");
  const sm4Key = randomBytes(SM4_KEY_BYTES);
  try {
    const field = Buffer.concat([Buffer.alloc(32), args.d]);
    const encryptedPrivateKey = sm4Encrypt(sm4Key, field, { mode: "ecb", padding: false });
    field.fill(0);
    // 04 ‖ C1.x ‖ C1.y ‖ C3 ‖ C2
    const c = sm2Encrypt(sm4Key, pointBytes(args.recipient), "c1c3c2");
    return encodeEnvelopedKeyBlob({
      symmAlgId: SGD_SM4_ECB,
      encryptedPrivateKey,
      publicKey: pointOf(sm2PublicKeyOf(args.d)),
      cipher: { x: c.subarray(1, 33), y: c.subarray(33, 65), hash: c.subarray(65, 97), ciphertext: c.subarray(97) },
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
  const c = Buffer.concat([
    Buffer.from([4]),
    parts.cipher.x,
    parts.cipher.y,
    parts.cipher.hash,
    parts.cipher.ciphertext,
  ]);
  let sm4Key: Buffer;
  try {
    sm4Key = sm2Decrypt(c, recipientD, "c1c3c2");
  } catch {
    throw envelopeError("the signing key cannot open it");
  }
  if (sm4Key.length !== SM4_KEY_BYTES) throw envelopeError("the signing key cannot open it");
  const field = sm4Decrypt(sm4Key, parts.encryptedPrivateKey, { mode: "ecb", padding: false });
  sm4Key.fill(0);
  const d = unfield64(field, "PrivateKey");
  field.fill(0);
  let point: Sm2Point;
  try {
    point = pointOf(sm2PublicKeyOf(d));
  } catch {
    throw envelopeError("the private key is not an SM2 key");
  }
  if (!point.x.equals(parts.publicKey.x) || !point.y.equals(parts.publicKey.y))
    throw envelopeError("the private key does not match PubKey");
  return { d, publicKey: parts.publicKey };
}
