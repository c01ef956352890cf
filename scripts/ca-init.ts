/**
 * `npm run ca:init`: creates the development/demo CA (root + issuing) in CA_DIR if there is none, or, with
 * CA_SIGNER=pkcs11, generates the issuing key in the token when PKCS11_KEY_LABEL is missing there and certifies it.
 * Existing CA files are never overwritten. Prints the chain's subjects and fingerprints.
 */
import { createHash } from "node:crypto";
import { getConfig } from "@/lib/config";
import { ensureDevCa, loadCa } from "@/lib/pki/ca";
import { Pkcs11Signer } from "@/lib/pki/signer";
import { certificateInfo } from "@/lib/pki/cert-info";

async function main(): Promise<void> {
  const config = getConfig();
  if (!config.CA_KEY_PASSPHRASE) throw new Error("CA_KEY_PASSPHRASE is missing: it encrypts the CA key files");
  let issuingSigner: Pkcs11Signer | undefined;
  if (config.CA_SIGNER === "pkcs11") {
    const opts = {
      module: config.PKCS11_MODULE ?? "",
      tokenLabel: config.PKCS11_TOKEN_LABEL ?? "",
      pin: config.PKCS11_PIN ?? "",
      keyLabel: config.PKCS11_KEY_LABEL ?? "",
      sm2Mechanism: config.CA_PKCS11_SM2_MECHANISM,
      sm2Input: config.CA_PKCS11_SM2_INPUT,
      sm2KeyType: config.CA_PKCS11_SM2_KEY_TYPE,
    };
    issuingSigner = await Pkcs11Signer.open(opts).catch(async (e: unknown) => {
      if (!String(e).includes("not found (private")) throw e;
      await Pkcs11Signer.generate({ ...opts, algorithm: config.CA_KEY_ALGORITHM });
      return Pkcs11Signer.open(opts);
    });
  }
  const { created } = await ensureDevCa(config.caDir, {
    algorithm: config.CA_KEY_ALGORITHM,
    passphrase: config.CA_KEY_PASSPHRASE,
    issuingSigner,
  });
  const ca = await loadCa(config);
  console.log(created ? `Created a CA in ${config.caDir}` : `A CA already exists in ${config.caDir}; nothing changed`);
  for (const [name, der] of [
    ["root", ca.rootCert],
    ["issuing", ca.issuingCert],
  ] as const) {
    const info = certificateInfo(der);
    console.log(
      `${name}: ${info.subjectDn} (${info.keyAlgorithm}, until ${info.notAfter.toISOString()}) sha256=${createHash("sha256").update(der).digest("hex")}`,
    );
  }
  issuingSigner?.close();
  if (ca.signer !== issuingSigner && ca.signer instanceof Pkcs11Signer) ca.signer.close();
}

main().then(
  () => process.exit(0),
  (e: unknown) => {
    console.error(`ca:init failed: ${e instanceof Error ? e.message : String(e)}`);
    process.exit(1);
  },
);
