import { createHash, createPublicKey, randomBytes } from "node:crypto";
import path from "node:path";
import { DomainError, isDomainError } from "@/lib/errors";
import { ecdsaRawToDer, raw } from "@/lib/pki/der";
import { CK, PKCS11, type Handle, type Template, type TokenInfo } from "@/lib/pkcs11";
import { loadKoffi } from "../native/koffi";
import {
  buildCsr,
  certificateFields,
  findLeafFor,
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

/**
 * PKCS#11 defines no SM2 mechanism (vendors each have their own): SM2 USB keys are used through SKF (skf.ts).
 */
type Pkcs11Family = Exclude<KeyFamily, { type: "sm2" }>;

function pkcs11FamilyOf(certDer: Buffer): Pkcs11Family {
  const family = keyFamilyOf(parseCertificate(certDer).publicKey);
  if (family.type === "sm2") throw new DomainError("TOKEN_KEY_UNSUPPORTED", { algorithm: "SM2" });
  return family;
}

/**
 * Real tokens through a PKCS#11 module (vendor USB-key middleware, OpenSC, SoftHSM2).
 *
 * - ECDSA: many modules (SoftHSM2 among them) lack CKM_ECDSA_SHA256, so we hash here and use CKM_ECDSA,
 *   then convert r‖s to DER.
 * - A new key pair waits as "pending" with CKA_LABEL `certrenew-pending:<old id>` on its public key
 *   (a public object, so it is found again without the PIN); install relabels it once the old pair is gone.
 * - The token's own retry counter is the only one: we report its flags and never retry a PIN ourselves.
 */

type Pkcs11Module = typeof CK;
type Session = Handle;

const PENDING = "certrenew-pending:";
const EC_PARAMS: Record<string, Buffer> = {
  "P-256": Buffer.from("06082a8648ce3d030107", "hex"),
  "P-384": Buffer.from("06052b81040022", "hex"),
};
const REMOVED = new Set([0x03, 0x30, 0x32, 0xb0, 0xb3, 0xe0]);

function pinStatusOf(flags: number, m: Pkcs11Module): PinStatus {
  return {
    countLow: (flags & m.CKF_USER_PIN_COUNT_LOW) !== 0,
    finalTry: (flags & m.CKF_USER_PIN_FINAL_TRY) !== 0,
    locked: (flags & m.CKF_USER_PIN_LOCKED) !== 0,
    toBeChanged: (flags & m.CKF_USER_PIN_TO_BE_CHANGED) !== 0,
  };
}

function ckr(e: unknown): number | undefined {
  const code = (e as { code?: unknown } | null)?.code;
  return typeof code === "number" ? code : undefined;
}

function b64url(b: Buffer): string {
  return b.toString("base64url");
}

export class Pkcs11Backend implements TokenBackend {
  readonly name = "pkcs11";
  private loaded?: { m: Pkcs11Module; p11: PKCS11 };
  private queue: Promise<unknown> = Promise.resolve();

  /** the file name holders and support see in TOKEN_MIDDLEWARE_ERROR */
  readonly library: string;

  constructor(private readonly opts: { modulePath: string }) {
    this.library = path.basename(opts.modulePath);
  }

  private lib(): { m: Pkcs11Module; p11: PKCS11 } {
    if (!this.loaded) {
      const m = CK;
      let p11: PKCS11;
      try {
        p11 = new PKCS11(loadKoffi(), this.opts.modulePath);
        p11.C_Initialize();
      } catch (e) {
        throw new DomainError("TOKEN_MIDDLEWARE_ERROR", {
          library: this.library,
          reason: `not loaded: ${e instanceof Error ? e.message : String(e)}`,
        });
      }
      this.loaded = { m, p11 };
    }
    return this.loaded;
  }

  /** The module is called from one place at a time: sessions and login state are per process. */
  private run<T>(fn: (m: Pkcs11Module, p11: PKCS11) => T): Promise<T> {
    const next = this.queue
      .catch(() => undefined)
      .then(async () => {
        const { m, p11 } = this.lib();
        try {
          return fn(m, p11);
        } catch (e) {
          throw this.translate(e);
        }
      });
    this.queue = next;
    return next;
  }

  private translate(e: unknown): unknown {
    if (isDomainError(e)) return e;
    const code = ckr(e);
    if (code === undefined) return e;
    if (REMOVED.has(code)) return new DomainError("TOKEN_REMOVED");
    if (code === 0xa1 || code === 0xa2) return new DomainError("PIN_INVALID");
    return new DomainError("TOKEN_MIDDLEWARE_ERROR", {
      library: this.library,
      reason: e instanceof Error ? e.message : `CKR 0x${code.toString(16)}`,
    });
  }

  /** Slots with an initialised token (SoftHSM2 and some readers also show an empty, uninitialised one). */
  private initializedSlots(m: Pkcs11Module, p11: PKCS11): { slot: Handle; info: TokenInfo }[] {
    return p11
      .C_GetSlotList(true)
      .map((slot) => ({ slot, info: p11.C_GetTokenInfo(slot) }))
      .filter(({ info }) => (info.flags & m.CKF_TOKEN_INITIALIZED) !== 0);
  }

  private slotOf(m: Pkcs11Module, p11: PKCS11, serial: string): Handle {
    const found = this.initializedSlots(m, p11).find(({ info }) => info.serialNumber.trim() === serial);
    if (!found) throw new DomainError("TOKEN_NOT_FOUND");
    return found.slot;
  }

  private withSession<T>(m: Pkcs11Module, p11: PKCS11, slot: Handle, rw: boolean, fn: (s: Session) => T): T {
    const session = p11.C_OpenSession(slot, m.CKF_SERIAL_SESSION | (rw ? m.CKF_RW_SESSION : 0));
    try {
      return fn(session);
    } finally {
      try {
        p11.C_CloseSession(session);
      } catch {
        // the token may be gone; nothing left to close
      }
    }
  }

  private login(m: Pkcs11Module, p11: PKCS11, slot: Handle, session: Session, pin: string, role: "user" | "so"): void {
    try {
      p11.C_Login(session, role === "user" ? m.CKU_USER : m.CKU_SO, pin);
    } catch (e) {
      const code = ckr(e);
      if (code === m.CKR_USER_ALREADY_LOGGED_IN) return;
      const flags = p11.C_GetTokenInfo(slot).flags;
      if (role === "so") {
        if (code === m.CKR_PIN_LOCKED || (flags & m.CKF_SO_PIN_LOCKED) !== 0) throw new DomainError("SO_PIN_LOCKED");
        if (code === m.CKR_PIN_INCORRECT)
          throw new DomainError("SO_PIN_INCORRECT", { finalTry: (flags & m.CKF_SO_PIN_FINAL_TRY) !== 0 });
        throw e;
      }
      const status = pinStatusOf(flags, m);
      if (code === m.CKR_PIN_LOCKED || status.locked) throw new DomainError("PIN_LOCKED");
      if (code === m.CKR_PIN_INCORRECT)
        throw status.finalTry
          ? new DomainError("PIN_INCORRECT", { ...status, triesLeft: 1 })
          : new DomainError("PIN_INCORRECT_UNCOUNTED", { ...status });
      throw e;
    }
  }

  private find(p11: PKCS11, session: Session, template: Template): Handle[] {
    p11.C_FindObjectsInit(session, template);
    try {
      const found: Handle[] = [];
      for (;;) {
        const batch = p11.C_FindObjects(session, 64);
        if (batch.length === 0) return found;
        found.push(...batch);
      }
    } finally {
      p11.C_FindObjectsFinal(session);
    }
  }

  private attr(p11: PKCS11, session: Session, object: Handle, type: number): Buffer {
    const [a] = p11.C_GetAttributeValue(session, object, [{ type }]);
    return a.value as Buffer;
  }

  private certificates(m: Pkcs11Module, p11: PKCS11, session: Session): { id: string; der: Buffer; handle: Handle }[] {
    return this.find(p11, session, [
      { type: m.CKA_CLASS, value: m.CKO_CERTIFICATE },
      { type: m.CKA_CERTIFICATE_TYPE, value: m.CKC_X_509 },
    ]).map((handle) => ({
      handle,
      id: this.attr(p11, session, handle, m.CKA_ID).toString("hex"),
      der: this.attr(p11, session, handle, m.CKA_VALUE),
    }));
  }

  private certificate(m: Pkcs11Module, p11: PKCS11, session: Session, certId: string): Buffer {
    const cert = this.certificates(m, p11, session).find((c) => c.id === certId);
    if (!cert) throw new DomainError("TOKEN_CERT_NOT_FOUND");
    return cert.der;
  }

  private keyHandle(m: Pkcs11Module, p11: PKCS11, session: Session, id: string, cls: number): Handle | undefined {
    return this.find(p11, session, [
      { type: m.CKA_CLASS, value: cls },
      { type: m.CKA_ID, value: Buffer.from(id, "hex") },
    ])[0];
  }

  private signOnToken(
    m: Pkcs11Module,
    p11: PKCS11,
    session: Session,
    privateKey: Handle,
    family: Pkcs11Family,
    data: Buffer,
  ): Buffer {
    if (family.type === "rsa") {
      p11.C_SignInit(session, { mechanism: m.CKM_SHA256_RSA_PKCS }, privateKey);
      return p11.C_Sign(session, data);
    }
    p11.C_SignInit(session, { mechanism: m.CKM_ECDSA }, privateKey);
    const raw = p11.C_Sign(session, createHash("sha256").update(data).digest());
    return ecdsaRawToDer(raw);
  }

  async listTokens(): Promise<TokenSummary[]> {
    return this.run((m, p11) =>
      this.initializedSlots(m, p11).map(({ slot, info }) => {
        const serial = info.serialNumber.trim();
        const certificates: CertificateSummary[] = this.withSession(m, p11, slot, false, (s) =>
          summarizeCertificates(this.certificates(m, p11, s)),
        );
        return {
          id: `${this.name}:${serial}`,
          backend: this.name,
          label: info.label.trim(),
          serial,
          pin: pinStatusOf(info.flags, m),
          certificates,
        };
      }),
    );
  }

  async pinStatus(serial: string): Promise<PinStatus> {
    return this.run((m, p11) => pinStatusOf(p11.C_GetTokenInfo(this.slotOf(m, p11, serial)).flags, m));
  }

  async sign(serial: string, args: { certId: string; pin: string; data: Buffer }): Promise<SignResult> {
    return this.run((m, p11) => {
      const slot = this.slotOf(m, p11, serial);
      return this.withSession(m, p11, slot, false, (s) => {
        const der = this.certificate(m, p11, s, args.certId);
        const family = pkcs11FamilyOf(der);
        this.login(m, p11, slot, s, args.pin, "user");
        const key = this.keyHandle(m, p11, s, args.certId, m.CKO_PRIVATE_KEY);
        if (!key) throw new DomainError("TOKEN_CERT_NOT_FOUND");
        const signature = this.signOnToken(m, p11, s, key, family, args.data);
        return {
          signature: signature.toString("base64"),
          algorithm: family.type === "rsa" ? "RSA-SHA256" : "ECDSA-SHA256",
          certificate: der.toString("base64"),
        };
      });
    });
  }

  async keygen(serial: string, args: { certId: string; pin: string; algorithm?: "SM2" }): Promise<KeygenResult> {
    if (args.algorithm === "SM2") throw new DomainError("TOKEN_KEY_UNSUPPORTED", { algorithm: "SM2" });
    const prepared = await this.run((m, p11) => {
      const slot = this.slotOf(m, p11, serial);
      return this.withSession(m, p11, slot, true, (s) => {
        const der = this.certificate(m, p11, s, args.certId);
        const family = pkcs11FamilyOf(der);
        this.login(m, p11, slot, s, args.pin, "user");
        const label = PENDING + args.certId;
        let publicKey = this.find(p11, s, [
          { type: m.CKA_CLASS, value: m.CKO_PUBLIC_KEY },
          { type: m.CKA_LABEL, value: label },
        ])[0];
        let id = publicKey ? this.attr(p11, s, publicKey, m.CKA_ID).toString("hex") : "";
        if (!publicKey || !this.keyHandle(m, p11, s, id, m.CKO_PRIVATE_KEY)) {
          id = randomBytes(20).toString("hex");
          publicKey = this.generate(m, p11, s, family, id, label);
        }
        return { der, family, id, spki: this.publicSpki(m, p11, s, publicKey) };
      });
    });
    const csr = await buildCsr({
      subject: subjectDer(prepared.der),
      spki: prepared.spki,
      family: prepared.family,
      sign: (tbs) =>
        this.run((m, p11) => {
          const slot = this.slotOf(m, p11, serial);
          return this.withSession(m, p11, slot, false, (s) => {
            this.login(m, p11, slot, s, args.pin, "user");
            const key = this.keyHandle(m, p11, s, prepared.id, m.CKO_PRIVATE_KEY);
            if (!key) throw new DomainError("TOKEN_REMOVED");
            return this.signOnToken(m, p11, s, key, prepared.family, tbs);
          });
        }),
    });
    return { pendingId: prepared.id, csr: csr.toString("base64"), keyAlgorithm: keyAlgorithmName(prepared.family) };
  }

  private generate(m: Pkcs11Module, p11: PKCS11, s: Session, family: Pkcs11Family, id: string, label: string): Handle {
    const common = [
      { type: m.CKA_TOKEN, value: true },
      { type: m.CKA_ID, value: Buffer.from(id, "hex") },
      { type: m.CKA_LABEL, value: label },
    ];
    const publicTemplate: Template = [
      ...common,
      { type: m.CKA_PRIVATE, value: false },
      { type: m.CKA_VERIFY, value: true },
    ];
    const privateTemplate: Template = [
      ...common,
      { type: m.CKA_PRIVATE, value: true },
      { type: m.CKA_SENSITIVE, value: true },
      { type: m.CKA_EXTRACTABLE, value: false },
      { type: m.CKA_SIGN, value: true },
    ];
    if (family.type === "rsa") {
      publicTemplate.push(
        { type: m.CKA_MODULUS_BITS, value: family.bits },
        { type: m.CKA_PUBLIC_EXPONENT, value: Buffer.from([1, 0, 1]) },
      );
      return p11.C_GenerateKeyPair(s, { mechanism: m.CKM_RSA_PKCS_KEY_PAIR_GEN }, publicTemplate, privateTemplate)
        .publicKey;
    }
    publicTemplate.push({ type: m.CKA_EC_PARAMS, value: EC_PARAMS[family.curve] });
    return p11.C_GenerateKeyPair(s, { mechanism: m.CKM_EC_KEY_PAIR_GEN }, publicTemplate, privateTemplate).publicKey;
  }

  async install(
    serial: string,
    args: { pin: string; certificates: Buffer[]; envelope?: Buffer },
  ): Promise<InstallResult> {
    // dual certificates arrive as a GM/T 0016 envelope, which only SKF keys (and the virtual token) import
    if (args.envelope) throw new DomainError("TOKEN_KEY_UNSUPPORTED", { algorithm: "SM2 (enveloped encryption key)" });
    return this.run((m, p11) => {
      const slot = this.slotOf(m, p11, serial);
      return this.withSession(m, p11, slot, true, (s) => {
        this.login(m, p11, slot, s, args.pin, "user");
        const pending = this.find(p11, s, [{ type: m.CKA_CLASS, value: m.CKO_PUBLIC_KEY }])
          .map((handle) => ({ handle, label: this.attr(p11, s, handle, m.CKA_LABEL).toString("utf8") }))
          .filter((k) => k.label.startsWith(PENDING))
          .map((k) => {
            const id = this.attr(p11, s, k.handle, m.CKA_ID).toString("hex");
            const spki = this.publicSpki(m, p11, s, k.handle);
            return { id, replaces: k.label.slice(PENDING.length), spki };
          });
        const match = findLeafFor(
          args.certificates,
          pending.map((p) => p.spki),
        );
        if (!match) return this.alreadyInstalled(m, p11, s, args.certificates);
        const key = pending[match.index];

        const existing = this.certificates(m, p11, s).find((c) => c.id === key.id);
        if (existing && !existing.der.equals(match.der))
          throw new DomainError("TOKEN_OPERATION_FAILED", { reason: "another certificate holds the new key's id" });
        if (!existing) p11.C_CreateObject(s, this.certificateTemplate(m, key.id, match.der));
        const readBack = this.certificates(m, p11, s).find((c) => c.id === key.id);
        if (!readBack || !readBack.der.equals(match.der))
          throw new DomainError("TOKEN_OPERATION_FAILED", { reason: "read-back mismatch" });

        if (key.replaces !== key.id) {
          for (const handle of this.find(p11, s, [{ type: m.CKA_ID, value: Buffer.from(key.replaces, "hex") }]))
            p11.C_DestroyObject(s, handle);
        }
        const summary = summarizeCertificate(key.id, match.der);
        for (const handle of this.find(p11, s, [{ type: m.CKA_ID, value: Buffer.from(key.id, "hex") }])) {
          p11.C_SetAttributeValue(s, handle, [{ type: m.CKA_LABEL, value: summary.subjectCN || key.id }]);
        }
        return { certificate: summary, replacedId: key.replaces };
      });
    });
  }

  /** SubjectPublicKeyInfo DER of a public key object, rebuilt from its attributes. */
  private publicSpki(m: Pkcs11Module, p11: PKCS11, s: Session, handle: Handle): Buffer {
    const keyType = this.attr(p11, s, handle, m.CKA_KEY_TYPE).readUIntLE(0, 1);
    if (keyType === m.CKK_RSA) {
      const n = this.attr(p11, s, handle, m.CKA_MODULUS);
      const e = this.attr(p11, s, handle, m.CKA_PUBLIC_EXPONENT);
      return spkiDer(createPublicKey({ key: { kty: "RSA", n: b64url(n), e: b64url(e) }, format: "jwk" }));
    }
    const params = this.attr(p11, s, handle, m.CKA_EC_PARAMS);
    const curve = Object.keys(EC_PARAMS).find((name) => EC_PARAMS[name].equals(params));
    if (keyType !== m.CKK_EC || !curve)
      throw new DomainError("TOKEN_KEY_UNSUPPORTED", { algorithm: `key type ${keyType}` });
    let point = this.attr(p11, s, handle, m.CKA_EC_POINT);
    // CKA_EC_POINT is DER OCTET STRING { 04 ‖ X ‖ Y } by the standard; a few modules return the bare point
    if (point[0] === 0x04 && point[1] === point.length - 2 && point.length % 2 === 1) point = point.subarray(2);
    const half = (point.length - 1) / 2;
    const jwk = { kty: "EC", crv: curve, x: b64url(point.subarray(1, 1 + half)), y: b64url(point.subarray(1 + half)) };
    return spkiDer(createPublicKey({ key: jwk, format: "jwk" }));
  }

  private certificateTemplate(m: Pkcs11Module, id: string, der: Buffer): Template {
    const cert = certificateFields(der);
    return [
      { type: m.CKA_CLASS, value: m.CKO_CERTIFICATE },
      { type: m.CKA_CERTIFICATE_TYPE, value: m.CKC_X_509 },
      { type: m.CKA_TOKEN, value: true },
      { type: m.CKA_PRIVATE, value: false },
      { type: m.CKA_ID, value: Buffer.from(id, "hex") },
      { type: m.CKA_LABEL, value: summarizeCertificate(id, der).subjectCN || id },
      { type: m.CKA_SUBJECT, value: Buffer.from(raw(cert.subject)) },
      { type: m.CKA_ISSUER, value: Buffer.from(raw(cert.issuer)) },
      { type: m.CKA_SERIAL_NUMBER, value: Buffer.from(raw(cert.serial)) },
      { type: m.CKA_VALUE, value: der },
    ];
  }

  private alreadyInstalled(m: Pkcs11Module, p11: PKCS11, s: Session, certificates: Buffer[]): InstallResult {
    const onToken = this.certificates(m, p11, s).find(
      (c) => certificates.some((d) => d.equals(c.der)) && this.keyHandle(m, p11, s, c.id, m.CKO_PRIVATE_KEY),
    );
    if (!onToken) throw new DomainError("TOKEN_NO_PENDING_KEY");
    return { certificate: summarizeCertificate(onToken.id, onToken.der), replacedId: null };
  }

  async unlock(serial: string, args: { soPin: string; newPin: string; newSoPin: string }): Promise<void> {
    return this.run((m, p11) => {
      const slot = this.slotOf(m, p11, serial);
      this.withSession(m, p11, slot, true, (s) => {
        this.login(m, p11, slot, s, args.soPin, "so");
        p11.C_InitPIN(s, args.newPin);
        p11.C_SetPIN(s, args.soPin, args.newSoPin);
        p11.C_Logout(s);
      });
    });
  }

  async close(): Promise<void> {
    if (!this.loaded) return;
    const { p11 } = this.loaded;
    this.loaded = undefined;
    p11.C_Finalize();
  }
}
