import { randomBytes, timingSafeEqual } from "node:crypto";
import { hmacSm3, sm4Decrypt, sm4Encrypt } from "../crypto/sm2";

/**
 * Escrow of KMC private keys under the KMC master key (an SM4 key, KMC_MASTER_KEY): SM4-CBC with a random IV,
 * then HMAC-SM3 over the format, the key's identity and the ciphertext (encrypt-then-MAC: OpenSSL 3.0 has no
 * SM4-GCM). The encryption and MAC keys are derived from the master key with HMAC-SM3, one label each, so one
 * key is never used for two purposes. `aad` binds a sealed key to its public key: a copied row does not open.
 *
 *   escrowed = IV (16) ‖ SM4-CBC(d, PKCS#7 padding) (48) ‖ HMAC-SM3(macKey, format ‖ 0 ‖ aad ‖ 0 ‖ IV ‖ ct) (32)
 */

export const ESCROW_FORMAT = "SM4-CBC/HMAC-SM3:v1";

export interface KmcMasterKey {
  /** 16 bytes */
  readonly key: Buffer;
}

const ZERO = Buffer.from([0]);

function derive(master: KmcMasterKey, label: string): Buffer {
  return hmacSm3(master.key, Buffer.from(`certrenew-kmc:${label}`));
}

function tag(master: KmcMasterKey, aad: string, iv: Buffer, ct: Buffer): Buffer {
  return hmacSm3(derive(master, "escrow-mac"), Buffer.from(ESCROW_FORMAT), ZERO, Buffer.from(aad), ZERO, iv, ct);
}

export function sealEscrow(master: KmcMasterKey, secret: Buffer, aad: string): Buffer {
  const iv = randomBytes(16);
  const ct = sm4Encrypt(derive(master, "escrow-enc").subarray(0, 16), secret, { mode: "cbc", iv });
  return Buffer.concat([iv, ct, tag(master, aad, iv, ct)]);
}

/** The escrowed secret; throws when the MAC does not verify (wrong master key, damaged or moved row). */
export function openEscrow(master: KmcMasterKey, format: string, escrowed: Buffer, aad: string): Buffer {
  if (format !== ESCROW_FORMAT) throw new Error(`unknown escrow format ${format}`);
  if (escrowed.length < 16 + 16 + 32) throw new Error("escrowed key too short");
  const iv = escrowed.subarray(0, 16);
  const ct = escrowed.subarray(16, escrowed.length - 32);
  const mac = escrowed.subarray(escrowed.length - 32);
  if (!timingSafeEqual(mac, tag(master, aad, iv, ct)))
    throw new Error("escrowed key does not verify under the KMC master key");
  return sm4Decrypt(derive(master, "escrow-enc").subarray(0, 16), ct, { mode: "cbc", iv });
}

/**
 * kmc2: escrow under a master key inside an HSM (hsm.ts). A fresh 16-byte data key seals the secret exactly as above
 * (SM4-CBC + HMAC-SM3, the data key in the master key's place); the HSM wraps the data key under its master key with
 * `mechanism`, which the format records:
 *
 *   format   = "PKCS11-WRAP(0x<mechanism>)+SM4-CBC/HMAC-SM3:v1"
 *   escrowed = len (2, big-endian) ‖ wrapped data key ‖ sealed (as above, with aad = format ‖ 0 ‖ aad)
 *
 * Without the HSM's master key the data key, and so the secret, cannot be recovered.
 */
export interface KeyWrapper {
  wrap(dataKey: Buffer, mechanism: number): Buffer;
  unwrap(wrapped: Buffer, mechanism: number): Buffer;
}

const HSM_FORMAT = /^PKCS11-WRAP\(0x([0-9a-f]{1,8})\)\+SM4-CBC\/HMAC-SM3:v1$/;

export const hsmEscrowFormat = (mechanism: number) => `PKCS11-WRAP(0x${mechanism.toString(16)})+${ESCROW_FORMAT}`;

/** The wrapping mechanism of an HSM escrow format, or null for another format. */
export function hsmMechanismOf(format: string): number | null {
  const m = HSM_FORMAT.exec(format);
  return m ? parseInt(m[1], 16) : null;
}

export function sealEscrowHsm(
  hsm: KeyWrapper,
  mechanism: number,
  secret: Buffer,
  aad: string,
): { format: string; escrowed: Buffer } {
  const format = hsmEscrowFormat(mechanism);
  const dataKey = randomBytes(16);
  try {
    const wrapped = hsm.wrap(dataKey, mechanism);
    const length = Buffer.alloc(2);
    length.writeUInt16BE(wrapped.length);
    const sealed = sealEscrow({ key: dataKey }, secret, `${format}\0${aad}`);
    return { format, escrowed: Buffer.concat([length, wrapped, sealed]) };
  } finally {
    dataKey.fill(0);
  }
}

export function openEscrowHsm(hsm: KeyWrapper, format: string, escrowed: Buffer, aad: string): Buffer {
  const mechanism = hsmMechanismOf(format);
  if (mechanism === null) throw new Error(`unknown escrow format ${format}`);
  if (escrowed.length < 2) throw new Error("escrowed key too short");
  const length = escrowed.readUInt16BE(0);
  if (escrowed.length < 2 + length + 64) throw new Error("escrowed key too short");
  const dataKey = hsm.unwrap(escrowed.subarray(2, 2 + length), mechanism);
  try {
    return openEscrow({ key: dataKey }, ESCROW_FORMAT, escrowed.subarray(2 + length), `${format}\0${aad}`);
  } finally {
    dataKey.fill(0);
  }
}
