import { z } from "zod";

/** A certificate as the assistant reads it from the key: base64 DER. */
export const CertificateB64 = z
  .string()
  .max(16_384)
  .regex(/^[A-Za-z0-9+/]+={0,2}$/)
  .transform((s) => Buffer.from(s, "base64"));

export const rateKey = (ip: string | null | undefined) => ip ?? "unknown";
