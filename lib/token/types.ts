/** What the certificate assistant answers (agent/README.md); shared by the assistant and its browser client. */

export interface PinStatus {
  /** tries left before the lock, when the token tells (the virtual token does; PKCS#11 tokens give flags only) */
  triesLeft?: number;
  countLow: boolean;
  finalTry: boolean;
  locked: boolean;
  /** the user PIN must be changed before use (CKF_USER_PIN_TO_BE_CHANGED) */
  toBeChanged: boolean;
}

export interface CertificateSummary {
  /** CKA_ID, lowercase hex: links the certificate to its key pair */
  id: string;
  subject: string;
  subjectCN: string;
  issuer: string;
  /** lowercase hex of the DER INTEGER contents, leading zero bytes kept (as in the registry) */
  serial: string;
  notBefore: string;
  notAfter: string;
  /** "RSA-2048", "EC-P256", "EC-P384"; "SM2" on SKF keys */
  keyAlgorithm: string;
  /** base64 DER */
  der: string;
  /** dual certificates: the encryption certificate in the same container (its key came in the KMC's envelope) */
  encryption?: { serial: string; der: string };
}

export interface TokenSummary {
  /** `<backend>:<token serial>`, e.g. "virtual:VT000001" or "pkcs11:8d3a…" */
  id: string;
  backend: string;
  label: string;
  serial: string;
  pin: PinStatus;
  certificates: CertificateSummary[];
}

export interface AssistantInfo {
  name: "certrenew-assistant";
  version: string;
  apiVersion: number;
  backends: string[];
}

export interface SignResult {
  /**
   * base64: PKCS#1 v1.5 for RSA, DER ECDSA-Sig-Value for EC, over SHA-256 of the challenge's UTF-8 bytes; for SM2
   * (SKF keys) DER SM2 signature over SM3(Z ‖ challenge) with the default ID 1234567812345678
   */
  signature: string;
  algorithm: "RSA-SHA256" | "ECDSA-SHA256" | "SM2-SM3";
  /** base64 DER of the certificate whose key signed */
  certificate: string;
}

export interface KeygenResult {
  /** CKA_ID of the new, not yet certified key pair */
  pendingId: string;
  /** base64 DER PKCS#10, signed by the new key, subject copied from the old certificate */
  csr: string;
  keyAlgorithm: string;
}

export interface InstallResult {
  certificate: CertificateSummary;
  /** id of the certificate and key removed after the new certificate was read back (null: already installed) */
  replacedId: string | null;
}

export interface UnlockResult {
  tokenId: string;
  pin: PinStatus;
}
