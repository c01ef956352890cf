import { randomBytes } from "node:crypto";
import { existsSync, mkdirSync, readFileSync, writeFileSync } from "node:fs";
import path from "node:path";
import { getConfig, type Config } from "@/lib/config";
import { raw } from "./der";
import { encodeName } from "./name";
import {
  FileSigner,
  Pkcs11Signer,
  encryptPrivateKey,
  generateKey,
  keyIdentifier,
  signStructure,
  signatureAlgorithmFor,
  type Signer,
  type SignerAlgorithm,
} from "./signer";
import {
  authorityKeyIdExt,
  basicConstraintsExt,
  encodeTbsCertificate,
  keyUsageExt,
  parseCertificate,
  subjectKeyIdExt,
  type ParsedCertificate,
} from "./x509";
import { formatName } from "./name";

/** The issuing CA as the rest of lib/pki needs it; everything derived from the certificates is computed once. */
export interface Ca {
  signer: Signer;
  /** DER */
  issuingCert: Buffer;
  /** DER */
  rootCert: Buffer;
  /** issuing first, root last (DER) */
  chain: Buffer[];
  /** subject Name DER of the issuing certificate: the issuer of everything we sign */
  issuerName: Buffer;
  issuerDn: string;
  /** SHA-1 key identifier of the issuing key (AKI of issued certificates, OCSP responder id) */
  keyId: Buffer;
  urls: { crl: string; ocsp: string; caIssuers: string };
  policyOid: string;
}

export const CA_FILES = {
  rootKey: "root.key.pem",
  rootCert: "root.cer",
  issuingKey: "issuing.key.pem",
  issuingCert: "issuing.cer",
} as const;

/**
 * A file of the CA folder. The folder is the operator's (CA_DIR, or under DATA_DIR), known only at run time: the
 * comment keeps Next's build from tracing every file the expression could name, i.e. the whole project.
 */
const caFile = (dir: string, name: string) => path.join(/* turbopackIgnore: true */ dir, name);

const YEAR_MS = 365.25 * 24 * 3600 * 1000;

interface CaCertInput {
  subject: Buffer;
  issuer: Buffer;
  spki: Buffer;
  issuerSpki: Buffer;
  signer: Signer;
  pathLen: number;
  years: number;
  now: Date;
}

async function caCertificate(c: CaCertInput): Promise<Buffer> {
  const keyId = keyIdentifier(c.spki);
  const tbs = encodeTbsCertificate({
    serialHex: Buffer.concat([Buffer.from([0x40]), randomBytes(15)]).toString("hex"),
    signatureAlgorithm: signatureAlgorithmFor(c.signer.algorithm),
    issuerName: c.issuer,
    notBefore: new Date(Math.floor(c.now.getTime() / 1000) * 1000 - 3600_000),
    notAfter: new Date(Math.floor((c.now.getTime() + c.years * YEAR_MS) / 1000) * 1000),
    subjectName: c.subject,
    spki: c.spki,
    extensions: Buffer.concat([
      basicConstraintsExt(true, c.pathLen),
      keyUsageExt(["digitalSignature", "keyCertSign", "cRLSign"]),
      subjectKeyIdExt(keyId),
      authorityKeyIdExt(keyIdentifier(c.issuerSpki)),
    ]),
  });
  return signStructure(tbs, c.signer);
}

export interface DevCaOptions {
  algorithm: SignerAlgorithm;
  /** encrypts both key files (PKCS#8, AES-256-CBC) */
  passphrase: string;
  /** put the issuing CA on this key (e.g. an HSM) instead of a new key file */
  issuingSigner?: Signer;
  commonName?: string;
  now?: Date;
}

function writeOnce(file: string, data: string | Buffer): void {
  // "wx": never overwrite a CA file, even if another process created it meanwhile
  writeFileSync(file, data, { flag: "wx", mode: 0o600 });
}

/**
 * Creates a development/demo root CA and issuing CA in `dir` unless an issuing certificate is already there.
 * Idempotent: existing files are never touched. Returns whether it created anything.
 */
export async function ensureDevCa(dir: string, opts: DevCaOptions): Promise<{ created: boolean }> {
  if (existsSync(caFile(dir, CA_FILES.issuingCert))) return { created: false };
  mkdirSync(dir, { recursive: true, mode: 0o700 });
  const now = opts.now ?? new Date();
  const name = opts.commonName ?? "CertRenew Demo";
  const rootKey = generateKey(opts.algorithm);
  const rootSigner = new FileSigner(rootKey);
  const rootName = encodeName({ C: "CN", O: name, CN: `${name} Root CA` });
  const issuingName = encodeName({ C: "CN", O: name, CN: `${name} Issuing CA` });

  let issuingSigner = opts.issuingSigner;
  let issuingPem: string | undefined;
  if (!issuingSigner) {
    const key = generateKey(opts.algorithm);
    issuingSigner = new FileSigner(key);
    issuingPem = encryptPrivateKey(key, opts.passphrase);
  }
  const rootCert = await caCertificate({
    subject: rootName,
    issuer: rootName,
    spki: rootSigner.publicKeySpki,
    issuerSpki: rootSigner.publicKeySpki,
    signer: rootSigner,
    pathLen: 1,
    years: 20,
    now,
  });
  const issuingCert = await caCertificate({
    subject: issuingName,
    issuer: rootName,
    spki: issuingSigner.publicKeySpki,
    issuerSpki: rootSigner.publicKeySpki,
    signer: rootSigner,
    pathLen: 0,
    years: 10,
    now,
  });
  writeOnce(caFile(dir, CA_FILES.rootKey), encryptPrivateKey(rootKey, opts.passphrase));
  writeOnce(caFile(dir, CA_FILES.rootCert), rootCert);
  if (issuingPem) writeOnce(caFile(dir, CA_FILES.issuingKey), issuingPem);
  writeOnce(caFile(dir, CA_FILES.issuingCert), issuingCert);
  return { created: true };
}

export function buildCa(
  signer: Signer,
  issuingCert: Buffer,
  rootCert: Buffer,
  config: Pick<Config, "publicOrigin" | "CERT_POLICY_OID">,
): Ca {
  const issuing: ParsedCertificate = parseCertificate(issuingCert);
  if (!issuing.spki.equals(signer.publicKeySpki))
    throw new Error("the CA key does not match the issuing CA certificate");
  parseCertificate(rootCert);
  return {
    signer,
    issuingCert,
    rootCert,
    chain: [issuingCert, rootCert],
    issuerName: raw(issuing.subjectName),
    issuerDn: formatName(issuing.subjectName),
    keyId: keyIdentifier(issuing.spki),
    urls: {
      crl: `${config.publicOrigin}/crl/issuing.crl`,
      ocsp: `${config.publicOrigin}/ocsp`,
      caIssuers: `${config.publicOrigin}/ca/issuing.cer`,
    },
    policyOid: config.CERT_POLICY_OID,
  };
}

function passphraseOf(config: Config): string {
  if (!config.CA_KEY_PASSPHRASE) throw new Error("CA_KEY_PASSPHRASE is missing: it encrypts the CA key files");
  return config.CA_KEY_PASSPHRASE;
}

async function pkcs11Signer(config: Config): Promise<Pkcs11Signer> {
  const { PKCS11_MODULE, PKCS11_TOKEN_LABEL, PKCS11_PIN, PKCS11_KEY_LABEL } = config;
  if (!PKCS11_MODULE || !PKCS11_TOKEN_LABEL || !PKCS11_PIN || !PKCS11_KEY_LABEL) {
    throw new Error("CA_SIGNER=pkcs11 needs PKCS11_MODULE, PKCS11_TOKEN_LABEL, PKCS11_PIN and PKCS11_KEY_LABEL");
  }
  return Pkcs11Signer.open({
    module: PKCS11_MODULE,
    tokenLabel: PKCS11_TOKEN_LABEL,
    pin: PKCS11_PIN,
    keyLabel: PKCS11_KEY_LABEL,
    sm2Mechanism: config.CA_PKCS11_SM2_MECHANISM,
    sm2Input: config.CA_PKCS11_SM2_INPUT,
    sm2KeyType: config.CA_PKCS11_SM2_KEY_TYPE,
  });
}

/**
 * Opens the configured CA: key file (CA_DIR/issuing.key.pem, CA_KEY_PASSPHRASE) or PKCS#11 key (PKCS11_*), with
 * the certificates from CA_DIR. In development and demo mode a missing CA is created first (ensureDevCa); in
 * production the CA files must have been put there (`npm run ca:init` or an existing CA).
 */
export async function loadCa(config: Config): Promise<Ca> {
  const dir = config.caDir;
  const mayCreate = config.NODE_ENV !== "production" || config.DEMO_MODE;
  if (config.CA_SIGNER === "pkcs11") {
    const signer = await pkcs11Signer(config);
    if (mayCreate)
      await ensureDevCa(dir, {
        algorithm: config.CA_KEY_ALGORITHM,
        passphrase: passphraseOf(config),
        issuingSigner: signer,
      });
    return buildCa(
      signer,
      readFileSync(caFile(dir, CA_FILES.issuingCert)),
      readFileSync(caFile(dir, CA_FILES.rootCert)),
      config,
    );
  }
  if (mayCreate) await ensureDevCa(dir, { algorithm: config.CA_KEY_ALGORITHM, passphrase: passphraseOf(config) });
  const signer = FileSigner.fromEncryptedPem(readFileSync(caFile(dir, CA_FILES.issuingKey)), passphraseOf(config));
  return buildCa(
    signer,
    readFileSync(caFile(dir, CA_FILES.issuingCert)),
    readFileSync(caFile(dir, CA_FILES.rootCert)),
    config,
  );
}

const holder = globalThis as unknown as { __certrenewCa?: Promise<Ca> };

/** The process-wide CA, loaded once (a failed load is retried on the next call). */
export function getCa(): Promise<Ca> {
  if (!holder.__certrenewCa) {
    const p = loadCa(getConfig());
    holder.__certrenewCa = p;
    p.catch(() => {
      if (holder.__certrenewCa === p) holder.__certrenewCa = undefined;
    });
  }
  return holder.__certrenewCa;
}

/** Test seam of getCa(): drops the cached process CA, so the next getCa() loads it from the changed configuration. */
export function resetCa(): void {
  holder.__certrenewCa = undefined;
}
