import { createHash } from "node:crypto";
import { generateSm2KeyPair, sm2SpkiEncode } from "../crypto/sm2";
import type { Tx } from "../db";
import { getConfig, type Config } from "../config";
import type { KmcKey } from "../generated/prisma/client";
import { DomainError } from "../errors";
import { sealEnvelope, sm2PointOfSpki } from "../token/enveloped-key";
import { ESCROW_FORMAT, openEscrow, sealEscrow, type KmcMasterKey } from "./escrow";

/**
 * The key management centre (GM/T 0034): it makes the SM2 encryption key pair of a dual-certificate holder, keeps
 * the private key escrowed (escrow.ts) and hands it out only as an ENVELOPEDKEYBLOB to a signing public key (the new
 * key on the holder's token at 下证, or a key the holder proved at key recovery). The private key is never logged,
 * returned or stored in clear.
 *
 * The master key comes from KMC_MASTER_KEY (demo: generated into DATA_DIR/secrets.json). Keeping it in an HSM
 * (PKCS#11, an SM4 key used through C_Encrypt/C_Decrypt) is the documented production option (lib/kmc/README.md).
 */
export interface Kmc {
  readonly master: KmcMasterKey;
}

/** The KMC of the configuration, or null when KMC_MASTER_KEY is not set (SM2 renewals then refuse to issue). */
export function kmcFromConfig(config: Pick<Config, "KMC_MASTER_KEY">): Kmc | null {
  return config.KMC_MASTER_KEY ? { master: { key: Buffer.from(config.KMC_MASTER_KEY, "hex") } } : null;
}

/** The process KMC (KMC_MASTER_KEY of the process configuration). */
export function getKmc(): Kmc | null {
  return kmcFromConfig(getConfig());
}

export function requireKmc(kmc: Kmc | null | undefined): Kmc {
  if (!kmc) throw new DomainError("KMC_NOT_CONFIGURED");
  return kmc;
}

const spkiHash = (spki: Buffer) => createHash("sha256").update(spki).digest("hex");

/** A new SM2 encryption key pair, escrowed in the caller's transaction; the certificate is linked by the caller. */
export async function createEncryptionKey(tx: Tx, kmc: Kmc, args: { orderId?: string }): Promise<KmcKey> {
  const pair = generateSm2KeyPair();
  const spki = sm2SpkiEncode(pair.publicKey);
  const d = pair.privateKey;
  const spkiSha256 = spkiHash(spki);
  try {
    return await tx.kmcKey.create({
      data: {
        orderId: args.orderId ?? null,
        spki: new Uint8Array(spki),
        spkiSha256,
        escrowAlg: ESCROW_FORMAT,
        escrowed: new Uint8Array(sealEscrow(kmc.master, d, spkiSha256)),
      },
    });
  } finally {
    d.fill(0);
  }
}

/**
 * The escrowed key of `key` as an ENVELOPEDKEYBLOB that only the holder of `recipientSpki` (an SM2 signing public
 * key) can open. A fresh SM4 key every time: two envelopes of one key share nothing but the key itself.
 */
export function envelopeFor(
  kmc: Kmc,
  key: Pick<KmcKey, "escrowAlg" | "escrowed" | "spkiSha256">,
  recipientSpki: Buffer,
): Buffer {
  const d = openEscrow(kmc.master, key.escrowAlg, Buffer.from(key.escrowed), key.spkiSha256);
  try {
    return sealEnvelope({ d, recipient: sm2PointOfSpki(recipientSpki) });
  } finally {
    d.fill(0);
  }
}
