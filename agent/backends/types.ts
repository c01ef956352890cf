/**
 * One interface for every kind of token: real PKCS#11 modules (vendor USB keys, OpenSC, SoftHSM2) and the
 * file-backed virtual token of the demo. The HTTP layer only talks to this.
 *
 * Token ids are `<backend>:<token serial>` so one assistant can serve several backends at once.
 * Certificate and key ids are the CKA_ID (lowercase hex) that links a certificate to its key pair.
 * Backends throw DomainError with the codes of lib/errors/catalog/token.ts.
 */

import type { InstallResult, KeygenResult, PinStatus, SignResult, TokenSummary } from "@/lib/token/types";

export type {
  CertificateSummary,
  InstallResult,
  KeygenResult,
  PinStatus,
  SignResult,
  TokenSummary,
} from "@/lib/token/types";

export interface TokenBackend {
  readonly name: string;
  listTokens(): Promise<TokenSummary[]>;
  pinStatus(tokenSerial: string): Promise<PinStatus>;
  /** Signs SHA-256(data) with the key of certificate `certId`. The caller has checked `data` is a portal challenge. */
  sign(tokenSerial: string, args: { certId: string; pin: string; data: Buffer }): Promise<SignResult>;
  /** New key pair on the token, same family and size as the key of `certId`; reuses a pending key made for it earlier. */
  /**
   * A new key pair beside the certificate's (its family, or `algorithm` when given: "SM2" when the portal moves the
   * holder to SM2) and its CSR.
   */
  keygen(tokenSerial: string, args: { certId: string; pin: string; algorithm?: "SM2" }): Promise<KeygenResult>;
  /**
   * Writes the leaf of `certificates` (DER, any order) whose key is pending, reads it back, then removes the replaced
   * pair. With `envelope` (dual certificates: a GM/T 0016 ENVELOPEDKEYBLOB sealed to the pending SM2 key) the
   * encryption key pair is imported into the same container with its certificate from `certificates`.
   */
  install(
    tokenSerial: string,
    args: { pin: string; certificates: Buffer[]; envelope?: Buffer },
  ): Promise<InstallResult>;
  /**
   * Key recovery (dual certificates): imports a KMC envelope sealed to the signing key of installed certificate
   * `certId` into its container, with the encryption certificate. Only backends with SM2 containers have it.
   */
  importEncryptionKeyPair?(
    tokenSerial: string,
    args: { certId: string; pin: string; envelope: Buffer; certificate?: Buffer },
  ): Promise<{ publicKey: Buffer }>;
  /** SO login, C_InitPIN(newPin), C_SetPIN(soPin → newSoPin). */
  unlock(tokenSerial: string, args: { soPin: string; newPin: string; newSoPin: string }): Promise<void>;
  close?(): Promise<void>;
}
