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
