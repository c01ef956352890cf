import type { Clock } from "../clock";
import type { Tx } from "../db";
import type { Certificate } from "../generated/prisma/client";
import type { Ca } from "../pki/ca";
import { issueEncryptionCertificate } from "../pki/issue-encryption";
import { isSm2Spki } from "../token/enveloped-key";
import { createEncryptionKey, envelopeFor, requireKmc, type Kmc } from "./keys";

/**
 * Dual certificates at 下证: an SM2 signing key made on the token gets an encryption certificate for a KMC key
 * pair beside its signing certificate. RSA and ECDSA holders keep one certificate.
 */
export function needsEncryptionPair(signingSpki: Buffer): boolean {
  return isSm2Spki(signingSpki);
}

/**
 * Makes (or finds) the encryption key pair and certificate paired with `signing`, in the caller's transaction,
 * so the signing certificate never exists without its pair. KMC_NOT_CONFIGURED when there is no master key.
 */
export async function issueEncryptionPair(
  tx: Tx,
  args: { signing: Certificate; kmc: Kmc | null | undefined; ca: Ca; clock: Clock; orderId: string },
): Promise<Certificate> {
  const existing = await tx.certificate.findUnique({ where: { signingCertificateId: args.signing.id } });
  if (existing) return existing;
  const key = await createEncryptionKey(tx, requireKmc(args.kmc), { orderId: args.orderId });
  const certificate = await issueEncryptionCertificate(tx, {
    signing: args.signing,
    spki: Buffer.from(key.spki),
    keyAlgorithm: "SM2",
    orderId: args.orderId,
    clock: args.clock,
    ca: args.ca,
  });
  await tx.kmcKey.update({ where: { id: key.id }, data: { certificateId: certificate.id } });
  return certificate;
}

export interface DeliveredEncryptionPair {
  certificate: Certificate;
  /** GM/T 0016 ENVELOPEDKEYBLOB for the signing key */
  envelope: Buffer;
}

/**
 * The encryption certificate paired with `signing` and its key enveloped to the signing key (`signingSpki`, the
 * key on the token); null when `signing` has no pair. Every call makes a fresh envelope.
 */
export async function deliverEncryptionPair(
  tx: Tx,
  args: { signing: Certificate; signingSpki: Buffer; kmc: Kmc | null | undefined },
): Promise<DeliveredEncryptionPair | null> {
  const certificate = await tx.certificate.findUnique({
    where: { signingCertificateId: args.signing.id },
    include: { kmcKey: true },
  });
  if (!certificate) return null;
  if (!certificate.kmcKey) throw new Error(`encryption certificate ${certificate.serial} has no escrowed key`);
  const { kmcKey, ...rest } = certificate;
  return { certificate: rest, envelope: await envelopeFor(requireKmc(args.kmc), kmcKey, args.signingSpki) };
}
