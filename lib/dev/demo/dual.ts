import type { Config } from "../../config";
import type { Tx } from "../../db";
import type { Certificate } from "../../generated/prisma/client";
import { systemClock } from "../../clock";
import type { Ca } from "../../pki/ca";
import { parseCertificate } from "../../pki/x509";
import { deliverEncryptionPair, issueEncryptionPair } from "../../kmc/dual";
import { kmcFromConfig } from "../../kmc/keys";

/**
 * A demo SM2 holder's encryption certificate, as its enrolment left it: a KMC key pair escrowed under the demo
 * KMC master key, its certificate beside the signing one, and the envelope for the token's signing key (the caller
 * imports it into the virtual token). The same code path as 下证.
 */
export async function seedEncryptionPair(
  tx: Tx,
  args: { config: Config; ca: Ca; signing: Certificate },
): Promise<{ certificate: Certificate; envelope: Buffer }> {
  const kmc = kmcFromConfig(args.config);
  await issueEncryptionPair(tx, { signing: args.signing, kmc, ca: args.ca, clock: systemClock, orderId: "demo-seed" });
  const signingSpki = parseCertificate(Buffer.from(args.signing.der)).spki;
  const delivered = await deliverEncryptionPair(tx, { signing: args.signing, signingSpki, kmc });
  return { certificate: delivered!.certificate, envelope: delivered!.envelope };
}
