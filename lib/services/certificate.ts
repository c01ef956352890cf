import type { Tx } from "../db";
import type { Certificate } from "../generated/prisma/client";
import { DomainError, type ErrorCode } from "../errors";
import { parseCertificate } from "../pki/x509";

/**
 * The registry row of a certificate read from a key, or `missing` when the registry does not hold exactly
 * these bytes (an unknown serial, or a different certificate under a known serial).
 */
export async function registeredCertificate(db: Tx, der: Buffer, missing: ErrorCode): Promise<Certificate> {
  let serial: string;
  try {
    serial = parseCertificate(der).serialHex;
  } catch {
    throw new DomainError("CERT_MALFORMED");
  }
  const row = await db.certificate.findUnique({ where: { serial } });
  if (!row || !Buffer.from(row.der).equals(der)) throw new DomainError(missing);
  return row;
}
