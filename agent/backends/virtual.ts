import { randomBytes, type KeyObject } from "node:crypto";
import fs from "node:fs";
import { DomainError } from "@/lib/errors";
import {
  buildCsr,
  findLeafFor,
  serialHex,
  keyAlgorithmName,
  keyFamilyOf,
  parseCertificate,
  spkiDer,
  subjectDer,
  summarizeCertificate,
  summarizeCertificates,
  type KeyFamily,
} from "../x509";
import type {
  CertificateSummary,
  InstallResult,
  KeygenResult,
  PinStatus,
  SignResult,
  TokenBackend,
  TokenSummary,
} from "./types";
import { openEnvelope, sm2PrivateKeyObject, sm2PrivateScalar, sm2SpkiOfPoint } from "@/lib/token/enveloped-key";
import {
  encryptionKeyLabel,
  generateTokenKey,
  openPrivateKey,
  readTokenFile,
  sealPrivateKey,
  signWithTokenKey,
  unplugCheckpoint,
  unwrapMasterKey,
  wrapMasterKey,
  writeTokenFile,
  type VirtualKey,
  type VirtualTokenFile,
} from "@/lib/token/virtual-store";

function pinStatusOf(file: VirtualTokenFile): PinStatus {
  return {
    triesLeft: Math.max(0, file.triesLeft),
    countLow: file.triesLeft < file.pinLimit,
    finalTry: file.triesLeft === 1,
    locked: file.triesLeft <= 0,
    toBeChanged: false,
  };
}

const SIGNATURE_ALGORITHM = { rsa: "RSA-SHA256", ec: "ECDSA-SHA256", sm2: "SM2-SM3" } as const;

/** Tokens as files under `dir` (DATA_DIR/tokens): the demo's keys, and the place to test lockout and unplugging. */
export class VirtualBackend implements TokenBackend {
  readonly name = "virtual";
  private readonly queues = new Map<string, Promise<unknown>>();

  constructor(private readonly opts: { dir: string; testHooks?: boolean }) {}

  /** One operation per token at a time, like a real token's single reader. */
  private exclusive<T>(serial: string, fn: () => Promise<T> | T): Promise<T> {
    const previous = this.queues.get(serial) ?? Promise.resolve();
    const next = previous.catch(() => undefined).then(fn);
    this.queues.set(serial, next);
    return next;
  }

  private checkpoint(serial: string, step: string): void {
    if (this.opts.testHooks) unplugCheckpoint(this.opts.dir, serial, step);
  }

  /** Opens the TMK with the user PIN, counting wrong tries on disk before answering. */
  private login(file: VirtualTokenFile, pin: string): Buffer {
    if (file.triesLeft <= 0) throw new DomainError("PIN_LOCKED");
    const masterKey = unwrapMasterKey(file.userWrap, pin, "user", file.serial);
    if (!masterKey) {
      file.triesLeft -= 1;
      writeTokenFile(this.opts.dir, file);
      if (file.triesLeft <= 0) throw new DomainError("PIN_LOCKED");
      throw new DomainError("PIN_INCORRECT", { ...pinStatusOf(file) });
    }
    if (file.triesLeft !== file.pinLimit) {
      file.triesLeft = file.pinLimit;
      writeTokenFile(this.opts.dir, file);
    }
    return masterKey;
  }

  private certAndKey(file: VirtualTokenFile, certId: string): { der: Buffer; key: VirtualKey } {
    const cert = file.certificates.find((c) => c.id === certId);
    const key = file.keys.find((k) => k.id === certId);
    if (!cert || !key) throw new DomainError("TOKEN_CERT_NOT_FOUND");
    return { der: Buffer.from(cert.der, "base64"), key };
  }

  async listTokens(): Promise<TokenSummary[]> {
    let names: string[];
    try {
      names = fs.readdirSync(this.opts.dir).filter((n) => n.endsWith(".json"));
    } catch {
      return [];
    }
    return names.sort().map((name) => {
      const file = readTokenFile(this.opts.dir, name.slice(0, -".json".length));
      return {
        id: `${this.name}:${file.serial}`,
        backend: this.name,
        label: file.label,
        serial: file.serial,
        pin: pinStatusOf(file),
        certificates: summarizeCertificates(
          file.certificates.map((c) => ({ id: c.id, der: Buffer.from(c.der, "base64") })),
        ).map((summary) => {
          const encryption = file.keys.find((k) => k.id === summary.id)?.encryption;
          return encryption ? this.summary(summary.id, Buffer.from(summary.der, "base64"), encryption) : summary;
        }),
      };
    });
  }

  async pinStatus(serial: string): Promise<PinStatus> {
    return pinStatusOf(readTokenFile(this.opts.dir, serial));
  }

  sign(serial: string, args: { certId: string; pin: string; data: Buffer }): Promise<SignResult> {
    return this.exclusive(serial, () => {
      const file = readTokenFile(this.opts.dir, serial);
      const { der, key } = this.certAndKey(file, args.certId);
      const masterKey = this.login(file, args.pin);
      this.checkpoint(serial, "sign");
      const signature = signWithTokenKey(openPrivateKey(masterKey, serial, key), args.data);
      return {
        signature: signature.toString("base64"),
        algorithm: SIGNATURE_ALGORITHM[key.family.type],
        certificate: der.toString("base64"),
      };
    });
  }

  keygen(serial: string, args: { certId: string; pin: string; algorithm?: "SM2" }): Promise<KeygenResult> {
    return this.exclusive(serial, async () => {
      const file = readTokenFile(this.opts.dir, serial);
      const { der } = this.certAndKey(file, args.certId);
      const masterKey = this.login(file, args.pin);
      let pending = file.keys.find((k) => k.pendingFor === args.certId);
      let privateKey: KeyObject;
      if (pending) {
        privateKey = openPrivateKey(masterKey, serial, pending);
      } else {
        const family: KeyFamily =
          args.algorithm === "SM2" ? { type: "sm2" } : keyFamilyOf(parseCertificate(der).publicKey);
        privateKey = generateTokenKey(family);
        const id = randomBytes(20).toString("hex");
        this.checkpoint(serial, "keygen:before-write");
        pending = {
          id,
          family,
          spki: spkiDer(privateKey).toString("base64"),
          sealed: sealPrivateKey(masterKey, serial, id, privateKey),
          pendingFor: args.certId,
        };
        file.keys.push(pending);
        writeTokenFile(this.opts.dir, file);
      }
      const csr = await buildCsr({
        subject: subjectDer(der),
        spki: Buffer.from(pending.spki, "base64"),
        family: pending.family,
        sign: async (tbs) => signWithTokenKey(privateKey, tbs),
      });
      return { pendingId: pending.id, csr: csr.toString("base64"), keyAlgorithm: keyAlgorithmName(pending.family) };
    });
  }

  install(serial: string, args: { pin: string; certificates: Buffer[]; envelope?: Buffer }): Promise<InstallResult> {
    return this.exclusive(serial, () => {
      const file = readTokenFile(this.opts.dir, serial);
      const masterKey = this.login(file, args.pin);
      const pending = file.keys.filter((k) => k.pendingFor !== null);
      const match = findLeafFor(
        args.certificates,
        pending.map((k) => Buffer.from(k.spki, "base64")),
      );
      if (!match) return this.alreadyInstalled(file, args.certificates);
      const key = pending[match.index];
      const replacedId = key.pendingFor;
      // dual certificates: the envelope is opened and checked before anything is written (SKF_ImportECCKeyPair)
      const encryption = args.envelope
        ? this.importEnvelope(masterKey, serial, key, args.envelope, args.certificates)
        : undefined;

      this.checkpoint(serial, "install:before-write");
      const existing = file.certificates.find((c) => c.id === key.id);
      if (existing && existing.der !== match.der.toString("base64"))
        throw new DomainError("TOKEN_OPERATION_FAILED", { reason: "another certificate holds the new key's id" });
      if (!existing) {
        file.certificates.push({ id: key.id, der: match.der.toString("base64") });
        if (encryption) file.keys = file.keys.map((k) => (k.id === key.id ? { ...k, encryption } : k));
        writeTokenFile(this.opts.dir, file);
      }
      this.checkpoint(serial, "install:after-write");

      const reread = readTokenFile(this.opts.dir, serial);
      const written = reread.certificates.find((c) => c.id === key.id);
      if (!written || !Buffer.from(written.der, "base64").equals(match.der))
        throw new DomainError("TOKEN_OPERATION_FAILED", { reason: "read-back mismatch" });
      this.checkpoint(serial, "install:before-remove");

      reread.certificates = reread.certificates.filter((c) => c.id !== replacedId);
      reread.keys = reread.keys
        .filter((k) => k.id !== replacedId)
        .map((k) => (k.id === key.id ? { ...k, pendingFor: null } : k));
      writeTokenFile(this.opts.dir, reread);
      return { certificate: this.summary(key.id, match.der, encryption), replacedId };
    });
  }

  /**
   * Opens a KMC envelope with the pending signing key and finds the encryption certificate for its key among
   * `certificates`: the encryption pair to store in the pending key's container.
   */
  private importEnvelope(
    masterKey: Buffer,
    serial: string,
    key: VirtualKey,
    envelope: Buffer,
    certificates: Buffer[],
  ): NonNullable<VirtualKey["encryption"]> {
    // TOKEN_ENVELOPE_INVALID unless the pending key is SM2 (node:crypto names imported SM2 keys no type)
    const opened = openEnvelope(envelope, sm2PrivateScalar(openPrivateKey(masterKey, serial, key)));
    try {
      const spki = sm2SpkiOfPoint(opened.publicKey);
      const cert = findLeafFor(certificates, [spki]);
      if (!cert) throw new DomainError("TOKEN_ENVELOPE_INVALID", { reason: "no certificate for the enveloped key" });
      return {
        spki: spki.toString("base64"),
        sealed: sealPrivateKey(masterKey, serial, encryptionKeyLabel(key.id), sm2PrivateKeyObject(opened.d)),
        certificate: cert.der.toString("base64"),
      };
    } finally {
      opened.d.fill(0);
    }
  }

  private summary(id: string, der: Buffer, encryption?: VirtualKey["encryption"]): CertificateSummary {
    const summary = summarizeCertificate(id, der);
    if (!encryption) return summary;
    const enc = Buffer.from(encryption.certificate, "base64");
    return { ...summary, encryption: { serial: serialHex(enc), der: encryption.certificate } };
  }

  /** Key recovery: the KMC's envelope for installed certificate `certId`, opened with its key and kept beside it. */
  importEncryptionKeyPair(
    serial: string,
    args: { certId: string; pin: string; envelope: Buffer; certificate?: Buffer },
  ): Promise<{ publicKey: Buffer }> {
    return this.exclusive(serial, () => {
      const file = readTokenFile(this.opts.dir, serial);
      const { key } = this.certAndKey(file, args.certId);
      const masterKey = this.login(file, args.pin);
      const certificates = args.certificate ? [args.certificate] : [];
      const encryption = this.importEnvelope(masterKey, serial, key, args.envelope, certificates);
      file.keys = file.keys.map((k) => (k.id === key.id ? { ...k, encryption } : k));
      writeTokenFile(this.opts.dir, file);
      return { publicKey: Buffer.from(encryption.spki, "base64") };
    });
  }

  /** A retried install whose first attempt finished: answer as before instead of failing. */
  private alreadyInstalled(file: VirtualTokenFile, certificates: Buffer[]): InstallResult {
    const onToken = new Set(file.certificates.map((c) => c.der));
    const der = certificates.find(
      (c) =>
        onToken.has(c.toString("base64")) &&
        file.keys.some((k) => k.spki === spkiDer(parseCertificate(c).publicKey).toString("base64")),
    );
    if (!der) throw new DomainError("TOKEN_NO_PENDING_KEY");
    const id = file.certificates.find((c) => c.der === der.toString("base64"))!.id;
    return { certificate: this.summary(id, der, file.keys.find((k) => k.id === id)?.encryption), replacedId: null };
  }

  unlock(serial: string, args: { soPin: string; newPin: string; newSoPin: string }): Promise<void> {
    return this.exclusive(serial, () => {
      const file = readTokenFile(this.opts.dir, serial);
      if (file.soTriesLeft <= 0) throw new DomainError("SO_PIN_LOCKED");
      const masterKey = unwrapMasterKey(file.soWrap, args.soPin, "so", serial);
      if (!masterKey) {
        file.soTriesLeft -= 1;
        writeTokenFile(this.opts.dir, file);
        throw new DomainError(file.soTriesLeft <= 0 ? "SO_PIN_LOCKED" : "SO_PIN_INCORRECT", {
          triesLeft: file.soTriesLeft,
        });
      }
      this.checkpoint(serial, "unlock");
      file.userWrap = wrapMasterKey(masterKey, args.newPin, "user", serial);
      file.soWrap = wrapMasterKey(masterKey, args.newSoPin, "so", serial);
      file.triesLeft = file.pinLimit;
      file.soTriesLeft = file.soPinLimit;
      writeTokenFile(this.opts.dir, file);
    });
  }
}
