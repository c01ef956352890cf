import { createCipheriv, createDecipheriv, createHmac, randomBytes, timingSafeEqual } from "node:crypto";

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

function derive(master: KmcMasterKey, label: string): Buffer {
  return createHmac("sm3", master.key).update(`certrenew-kmc:${label}`).digest();
}

function tag(master: KmcMasterKey, aad: string, iv: Buffer, ct: Buffer): Buffer {
  return createHmac("sm3", derive(master, "escrow-mac"))
    .update(ESCROW_FORMAT)
    .update(Buffer.from([0]))
    .update(aad)
    .update(Buffer.from([0]))
    .update(iv)
    .update(ct)
    .digest();
}

export function sealEscrow(master: KmcMasterKey, secret: Buffer, aad: string): Buffer {
  const iv = randomBytes(16);
  const cipher = createCipheriv("sm4-cbc", derive(master, "escrow-enc").subarray(0, 16), iv);
  const ct = Buffer.concat([cipher.update(secret), cipher.final()]);
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
  const decipher = createDecipheriv("sm4-cbc", derive(master, "escrow-enc").subarray(0, 16), iv);
  return Buffer.concat([decipher.update(ct), decipher.final()]);
}
