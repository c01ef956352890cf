import type { CertType } from "@/lib/generated/prisma/client";

export type KeyUsageBit =
  | "digitalSignature"
  | "nonRepudiation"
  | "keyEncipherment"
  | "dataEncipherment"
  | "keyAgreement"
  | "keyCertSign"
  | "cRLSign";
export type ExtKeyUsage = "clientAuth" | "emailProtection" | "codeSigning";

/** What a holder certificate of one type contains. Profiles are data: issue.ts encodes whatever is listed here. */
export interface CertProfile {
  certType: CertType;
  /** key usage by subject key type: key encipherment only makes sense for RSA */
  keyUsage: { rsa: KeyUsageBit[]; ec: KeyUsageBit[] };
  extKeyUsage: ExtKeyUsage[];
  /** a renewal must come with a new key pair (CSR_KEY_REUSED otherwise) */
  requireRekey: boolean;
}

export const PROFILES: Record<CertType, CertProfile> = {
  personal: {
    certType: "personal",
    keyUsage: {
      rsa: ["digitalSignature", "nonRepudiation", "keyEncipherment"],
      ec: ["digitalSignature", "nonRepudiation"],
    },
    extKeyUsage: ["clientAuth", "emailProtection"],
    requireRekey: true,
  },
  organisation: {
    certType: "organisation",
    keyUsage: {
      rsa: ["digitalSignature", "nonRepudiation", "keyEncipherment"],
      ec: ["digitalSignature", "nonRepudiation"],
    },
    extKeyUsage: ["clientAuth", "emailProtection"],
    requireRekey: true,
  },
};

export function profileFor(certType: CertType): CertProfile {
  return PROFILES[certType];
}
