import { createHash } from "node:crypto";
import { generateSm2KeyPair, sm2SpkiEncode } from "../crypto/sm2";
import type { Tx } from "../db";
import { getConfig, type Config } from "../config";
import type { KmcKey } from "../generated/prisma/client";
import { DomainError } from "../errors";
import { sealEnvelope, sm2PointOfSpki } from "../token/enveloped-key";
import { log } from "../log";
import {
  ESCROW_FORMAT,
  hsmMechanismOf,
  openEscrow,
  openEscrowHsm,
  sealEscrow,
  sealEscrowHsm,
  type KeyWrapper,
  type KmcMasterKey,
} from "./escrow";
import { DEFAULT_DATA_KEY_TYPE, DEFAULT_WRAP_MECHANISM, HsmMasterKey, type HsmMasterKeyOptions } from "./hsm";

/**
 * The key management centre (GM/T 0034): it makes the SM2 encryption key pair of a dual-certificate holder, keeps
 * the private key escrowed (escrow.ts) and hands it out only as an ENVELOPEDKEYBLOB to a signing public key (the new
 * key on the holder's token at 下证, or a key the holder proved at key recovery). The private key is never logged,
 * returned or stored in clear.
 *
 * The master key: KMC_MASTER_KEY (an SM4 key in the configuration; demo: generated into DATA_DIR/secrets.json) and/or
 * KMC_MASTER_KEY_PKCS11 (a key inside an HSM, hsm.ts). With an HSM, new escrows are wrapped there; rows escrowed under
 * KMC_MASTER_KEY (format SM4-CBC/HMAC-SM3:v1) keep opening as long as that key stays configured.
 */
export interface Kmc {
  /** KMC_MASTER_KEY: seals new escrows when there is no HSM, and opens the rows it sealed */
  readonly master?: KmcMasterKey;
  /** KMC_MASTER_KEY_PKCS11: the HSM's master key, opened on first use */
  readonly hsm?: { readonly mechanism: number; get(): Promise<KeyWrapper> };
}

type KmcConfig = Pick<Config, "KMC_MASTER_KEY" | "KMC_MASTER_KEY_PKCS11" | "KMC_MASTER_KEY_PKCS11_PIN">;

// one HSM session per configuration and process, opened on first use; a failed open is tried again next time
const hsmSessions = new Map<string, Promise<HsmMasterKey>>();

function hsmOf(config: KmcConfig): Kmc["hsm"] {
  const spec = config.KMC_MASTER_KEY_PKCS11;
  if (!spec || !config.KMC_MASTER_KEY_PKCS11_PIN) return undefined;
  const options: HsmMasterKeyOptions = {
    ...spec,
    pin: config.KMC_MASTER_KEY_PKCS11_PIN,
    mechanism: spec.mechanism ?? DEFAULT_WRAP_MECHANISM,
    dataKeyType: spec.dataKeyType ?? DEFAULT_DATA_KEY_TYPE,
  };
  const id = JSON.stringify(options);
  return {
    mechanism: options.mechanism,
    get() {
      let session = hsmSessions.get(id);
      if (!session) {
        session = HsmMasterKey.open(options);
        hsmSessions.set(id, session);
        session.catch(() => hsmSessions.delete(id));
      }
      return session.catch((e: unknown) => {
        // the operator's reason goes to the log; the holder hears that the service is not available (order kept)
        log.error({ err: e }, "KMC master key in the HSM is not available");
        throw new DomainError("KMC_NOT_CONFIGURED");
      });
    },
  };
}

/** Closes the HSM sessions of the KMC (tests, shutdown). */
export async function closeKmcHsm(): Promise<void> {
  const sessions = [...hsmSessions.values()];
  hsmSessions.clear();
  for (const s of sessions) (await s.catch(() => null))?.close();
}

/** The KMC of the configuration, or null when neither master key is configured (SM2 renewals then refuse to issue). */
export function kmcFromConfig(config: KmcConfig): Kmc | null {
  const master = config.KMC_MASTER_KEY ? { key: Buffer.from(config.KMC_MASTER_KEY, "hex") } : undefined;
  const hsm = hsmOf(config);
  return master || hsm ? { master, hsm } : null;
}

/** The process KMC (KMC_MASTER_KEY / KMC_MASTER_KEY_PKCS11 of the process configuration). */
export function getKmc(): Kmc | null {
  return kmcFromConfig(getConfig());
}

export function requireKmc(kmc: Kmc | null | undefined): Kmc {
  if (!kmc) throw new DomainError("KMC_NOT_CONFIGURED");
  return kmc;
}

/** Escrows `secret` under the HSM's master key when there is one, else under KMC_MASTER_KEY. */
async function seal(kmc: Kmc, secret: Buffer, aad: string): Promise<{ format: string; escrowed: Buffer }> {
  if (kmc.hsm) return sealEscrowHsm(await kmc.hsm.get(), kmc.hsm.mechanism, secret, aad);
  return { format: ESCROW_FORMAT, escrowed: sealEscrow(kmc.master!, secret, aad) };
}

/** Opens an escrowed secret by its recorded format: KMC_MASTER_KEY rows with the configured key, HSM rows in the HSM. */
async function open(kmc: Kmc, format: string, escrowed: Buffer, aad: string): Promise<Buffer> {
  if (hsmMechanismOf(format) !== null) {
    if (!kmc.hsm) {
      log.error({ format }, "an escrowed key is wrapped in an HSM but KMC_MASTER_KEY_PKCS11 is not configured");
      throw new DomainError("KMC_NOT_CONFIGURED");
    }
    return openEscrowHsm(await kmc.hsm.get(), format, escrowed, aad);
  }
  if (!kmc.master) {
    log.error({ format }, "an escrowed key is sealed under KMC_MASTER_KEY, which is not configured");
    throw new DomainError("KMC_NOT_CONFIGURED");
  }
  return openEscrow(kmc.master, format, escrowed, aad);
}

const spkiHash = (spki: Buffer) => createHash("sha256").update(spki).digest("hex");

/** A new SM2 encryption key pair, escrowed in the caller's transaction; the certificate is linked by the caller. */
export async function createEncryptionKey(tx: Tx, kmc: Kmc, args: { orderId?: string }): Promise<KmcKey> {
  const pair = generateSm2KeyPair();
  const spki = sm2SpkiEncode(pair.publicKey);
  const d = pair.privateKey;
  const spkiSha256 = spkiHash(spki);
  try {
    const sealed = await seal(kmc, d, spkiSha256);
    return await tx.kmcKey.create({
      data: {
        orderId: args.orderId ?? null,
        spki: new Uint8Array(spki),
        spkiSha256,
        escrowAlg: sealed.format,
        escrowed: new Uint8Array(sealed.escrowed),
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
export async function envelopeFor(
  kmc: Kmc,
  key: Pick<KmcKey, "escrowAlg" | "escrowed" | "spkiSha256">,
  recipientSpki: Buffer,
): Promise<Buffer> {
  const d = await open(kmc, key.escrowAlg, Buffer.from(key.escrowed), key.spkiSha256);
  try {
    return sealEnvelope({ d, recipient: sm2PointOfSpki(recipientSpki) });
  } finally {
    d.fill(0);
  }
}
