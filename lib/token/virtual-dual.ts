import type { KeyObject } from "node:crypto";
import { encryptionKeyLabel, readTokenFile, sealPrivateKey, writeTokenFile, type VirtualToken } from "./virtual-store";
import { openEnvelope, sm2PrivateKeyObject, sm2PrivateScalar, sm2SpkiOfPoint } from "./enveloped-key";

/**
 * Provisioning a virtual token's dual certificates (demo seed, tests): the KMC's envelope opened with the signing
 * key of container `id`, as the certificate assistant does at 下证, and the encryption certificate stored with it.
 */
export function importEnvelopeToVirtualToken(
  token: VirtualToken,
  args: { id: string; signingKey: KeyObject; envelope: Buffer; certificateDer: Buffer },
): void {
  const opened = openEnvelope(args.envelope, sm2PrivateScalar(args.signingKey));
  try {
    const file = readTokenFile(token.dir, token.serial);
    const key = file.keys.find((k) => k.id === args.id);
    if (!key) throw new Error(`no key ${args.id} on token ${token.serial}`);
    key.encryption = {
      spki: sm2SpkiOfPoint(opened.publicKey).toString("base64"),
      sealed: sealPrivateKey(token.masterKey, token.serial, encryptionKeyLabel(args.id), sm2PrivateKeyObject(opened.d)),
      certificate: args.certificateDer.toString("base64"),
    };
    writeTokenFile(token.dir, file);
  } finally {
    opened.d.fill(0);
  }
}
