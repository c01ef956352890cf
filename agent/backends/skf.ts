import path from "node:path";
import { createHash, createPublicKey } from "node:crypto";
import { DomainError, isDomainError } from "@/lib/errors";
import { bits, ecdsaRawToDer, oid, seq } from "@/lib/pki/der";
import { loadKoffi } from "../native/koffi";
import {
  buildCsr,
  findLeafFor,
  isSm2Spki,
  parseCertificate,
  serialHex,
  spkiDer,
  subjectDer,
  summarizeCertificate,
  summarizeCertificates,
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
 * USB keys through their vendor's SKF library (GM/T 0016-2012, the interface most Chinese USB-key middleware
 * exposes), called with koffi: no compiler on the holder's PC.
 *
 * - A token is one application on one device: `skf:<device serial>`, or `skf:<device serial>.<application>` when a
 *   device holds several. Its PIN is the application's user PIN, with the retry count the device tells.
 * - A certificate is a container's signing certificate; its id is the container name's bytes in hex.
 * - A new key pair waits in its own container, `certrenew-pending-<16 hex of SHA-256(old container name)>`: a
 *   container holds one signing pair and SKF_Gen*KeyPair replaces it, so generating in the old container would
 *   destroy the key in use before the new certificate exists. The pending container has keys but no certificate,
 *   so it is not listed, and it is found again without the PIN. Install writes the certificate into it, reads it
 *   back, then deletes the old container; the new container keeps its name (SKF has no rename).
 * - RSA: SKF_RSASignData pads (PKCS#1 v1.5) what it gets, so we pass DigestInfo(SHA-256). SM2: the device
 *   hashes e = SM3(Z ‖ M) with SKF_DigestInit (public key, ID 1234567812345678) and SKF_Digest, then
 *   SKF_ECCSignData signs e; the signature is returned as DER SM2-Sig-Value.
 * - The device's retry counter is the only one: we never retry a PIN ourselves.
 * - Calls run on koffi's worker threads (`.async`), one at a time per backend: an RSA key generation on a real key
 *   takes seconds and must not stall the assistant's HTTP server.
 */

const SAR = {
  OK: 0,
  BUFFER_TOO_SMALL: 0x0a000020,
  DEVICE_REMOVED: 0x0a000023,
  PIN_INCORRECT: 0x0a000024,
  PIN_LOCKED: 0x0a000025,
  PIN_INVALID: 0x0a000026,
  PIN_LEN_RANGE: 0x0a000027,
  KEY_NOT_FOUND: 0x0a00001b,
  FILE_NOT_EXIST: 0x0a000031,
  INVALID_PARAM: 0x0a000006,
  NOT_SUPPORTED: 0x0a000003,
  INDATA: 0x0a000011,
} as const;

const SGD_SM3 = 0x00000001;
const SGD_SM2_1 = 0x00020100;
const ADMIN_TYPE = 0;
const USER_TYPE = 1;
const CONTAINER_RSA = 1;
const CONTAINER_ECC = 2;

/** GM/T 0009: the signer ID when none is agreed. */
const SM2_DEFAULT_ID = Buffer.from("1234567812345678", "ascii");

const PENDING = "certrenew-pending-";
const SHA256_DIGEST_INFO = Buffer.from("3031300d060960864801650304020105000420", "hex");
const ECC_PUBLIC_BLOB = 4 + 64 + 64;
const RSA_PUBLIC_BLOB = 4 + 4 + 256 + 4;
const OID_EC_PUBLIC_KEY = "1.2.840.10045.2.1";
const OID_SM2_CURVE = "1.2.156.10197.1.301";

type Handle = unknown;
type SkfFamily = { type: "rsa"; bits: number } | { type: "sm2" };
type Fn = { async: (...args: unknown[]) => void };

/** The SKF functions we call, as C prototypes (GM/T 0016 types: ULONG is 32 bits, handles are pointers). */
const PROTOTYPES = {
  SKF_EnumDev: ["int32", "void *", "_Inout_ uint32 *"],
  SKF_ConnectDev: ["void *", "_Out_ H *"],
  SKF_DisConnectDev: ["H"],
  SKF_GetDevInfo: ["H", "void *"],
  SKF_EnumApplication: ["H", "void *", "_Inout_ uint32 *"],
  SKF_OpenApplication: ["H", "void *", "_Out_ H *"],
  SKF_CloseApplication: ["H"],
  SKF_VerifyPIN: ["H", "uint32", "void *", "_Out_ uint32 *"],
  SKF_GetPINInfo: ["H", "uint32", "_Out_ uint32 *", "_Out_ uint32 *", "_Out_ int32 *"],
  SKF_ChangePIN: ["H", "uint32", "void *", "void *", "_Out_ uint32 *"],
  SKF_UnblockPIN: ["H", "void *", "void *", "_Out_ uint32 *"],
  SKF_EnumContainer: ["H", "void *", "_Inout_ uint32 *"],
  SKF_CreateContainer: ["H", "void *", "_Out_ H *"],
  SKF_DeleteContainer: ["H", "void *"],
  SKF_OpenContainer: ["H", "void *", "_Out_ H *"],
  SKF_CloseContainer: ["H"],
  SKF_GetContainerType: ["H", "_Out_ uint32 *"],
  SKF_ImportCertificate: ["H", "int32", "void *", "uint32"],
  SKF_ExportCertificate: ["H", "int32", "void *", "_Inout_ uint32 *"],
  SKF_GenRSAKeyPair: ["H", "uint32", "void *"],
  SKF_GenECCKeyPair: ["H", "uint32", "void *"],
  SKF_ImportECCKeyPair: ["H", "void *"],
  SKF_ExportPublicKey: ["H", "int32", "void *", "_Inout_ uint32 *"],
  SKF_RSASignData: ["H", "void *", "uint32", "void *", "_Inout_ uint32 *"],
  SKF_ECCSignData: ["H", "void *", "uint32", "void *"],
  SKF_DigestInit: ["H", "uint32", "void *", "void *", "uint32", "_Out_ H *"],
  SKF_Digest: ["H", "void *", "uint32", "void *", "_Inout_ uint32 *"],
  SKF_CloseHandle: ["H"],
} as const;

type SkfName = keyof typeof PROTOTYPES;

class SkfError extends Error {
  constructor(
    readonly fn: SkfName,
    readonly code: number,
  ) {
    super(`${fn} 0x${code.toString(16).padStart(8, "0")}`);
  }
}

/** A name as the C string the library wants (names are kept as latin1 strings: byte for byte, whatever encoding). */
function cstr(name: string): Buffer {
  return Buffer.concat([Buffer.from(name, "latin1"), Buffer.from([0])]);
}

/** A GM/T 0016 name list: names separated by NUL, ended by an empty name. */
function nameList(buf: Buffer): string[] {
  const names: string[] = [];
  let start = 0;
  for (let i = 0; i < buf.length; i++) {
    if (buf[i] !== 0) continue;
    if (i === start) break;
    names.push(buf.subarray(start, i).toString("latin1"));
    start = i + 1;
  }
  return names;
}

const UTF8 = new TextDecoder("utf-8", { fatal: true });
const GBK = new TextDecoder("gbk");

/** A NUL-padded CHAR[] of DEVINFO for display: UTF-8 when it is, else GBK (Chinese Windows middleware). */
function fixedString(buf: Buffer): string {
  const end = buf.indexOf(0);
  const bytes = end < 0 ? buf : buf.subarray(0, end);
  try {
    return UTF8.decode(bytes).trim();
  } catch {
    return GBK.decode(bytes).trim();
  }
}

/** What the assistant's token ids allow (agent/server.ts TokenId): other characters become "_". */
function tokenSerial(s: string): string {
  return s.replace(/[^A-Za-z0-9_. -]/g, "_").slice(0, 64);
}

export function containerId(name: string): string {
  return Buffer.from(name, "latin1").toString("hex");
}

function containerName(id: string): string {
  return Buffer.from(id, "hex").toString("latin1");
}

function pendingName(oldName: string): string {
  return PENDING + createHash("sha256").update(Buffer.from(oldName, "latin1")).digest("hex").slice(0, 16);
}

/** ECCPUBLICKEYBLOB { ULONG BitLen; BYTE X[64]; BYTE Y[64] }: coordinates right-aligned → SubjectPublicKeyInfo. */
function sm2SpkiOf(blob: Buffer): Buffer {
  const x = blob.subarray(4 + 64 - 32, 4 + 64);
  const y = blob.subarray(4 + 128 - 32, 4 + 128);
  return seq(seq(oid(OID_EC_PUBLIC_KEY), oid(OID_SM2_CURVE)), bits(Buffer.concat([Buffer.from([4]), x, y])));
}

/** RSAPUBLICKEYBLOB { ULONG AlgID; ULONG BitLen; BYTE Modulus[256]; BYTE PublicExponent[4] }, right-aligned. */
function rsaSpkiOf(blob: Buffer): { spki: Buffer; bits: number } {
  const bitLen = blob.readUInt32LE(4);
  const n = blob.subarray(8 + 256 - bitLen / 8, 8 + 256);
  const e = blob.subarray(8 + 256, 8 + 256 + 4);
  const jwk = { kty: "RSA", n: n.toString("base64url"), e: stripZeros(e).toString("base64url") };
  return { spki: spkiDer(createPublicKey({ key: jwk, format: "jwk" })), bits: bitLen };
}

function stripZeros(b: Buffer): Buffer {
  let i = 0;
  while (i < b.length - 1 && b[i] === 0) i++;
  return b.subarray(i);
}

function familyOfCertificate(der: Buffer): SkfFamily {
  const key = parseCertificate(der).publicKey;
  if (isSm2Spki(spkiDer(key))) return { type: "sm2" };
  const details = key.asymmetricKeyDetails ?? {};
  if (key.asymmetricKeyType === "rsa" && details.modulusLength) return { type: "rsa", bits: details.modulusLength };
  throw new DomainError("TOKEN_KEY_UNSUPPORTED", { algorithm: `${key.asymmetricKeyType ?? "?"}` });
}

function keyAlgorithmOf(family: SkfFamily): string {
  return family.type === "rsa" ? `RSA-${family.bits}` : "SM2";
}

interface Container {
  name: string;
  cert?: Buffer;
}

interface AppRef {
  dev: Handle;
  app: Handle;
  devName: string;
  appName: string;
  serial: string;
  label: string;
}

export class SkfBackend implements TokenBackend {
  readonly name = "skf";
  private fns?: Record<SkfName, Fn>;
  private library?: { unload(): void };
  private queue: Promise<unknown> = Promise.resolve();

  constructor(private readonly opts: { modulePath: string }) {}

  private lib(): Record<SkfName, Fn> {
    if (!this.fns) {
      try {
        const koffi = loadKoffi();
        const lib = koffi.load(this.opts.modulePath);
        const H = koffi.pointer(koffi.opaque());
        const fns = {} as Record<SkfName, Fn>;
        for (const [name, params] of Object.entries(PROTOTYPES) as [SkfName, readonly string[]][]) {
          const types = params.map((p) => {
            const out = p.startsWith("_Out_ ") ? "out" : p.startsWith("_Inout_ ") ? "inout" : null;
            const base = p.replace(/^_(Out|Inout)_ /, "");
            const type = base === "H" ? H : base === "H *" ? koffi.pointer(H) : base;
            return out === "out" ? koffi.out(type) : out === "inout" ? koffi.inout(type) : type;
          });
          fns[name] = lib.func(name, "uint32", types) as unknown as Fn;
        }
        this.fns = fns;
        this.library = lib;
      } catch (e) {
        throw new DomainError("TOKEN_MIDDLEWARE_ERROR", {
          library: path.basename(this.opts.modulePath),
          reason: `not loaded: ${e instanceof Error ? e.message : String(e)}`,
        });
      }
    }
    return this.fns;
  }

  /** Calls one SKF function on a worker thread; a non-zero SAR code is thrown as SkfError. */
  private call(name: SkfName, ...args: unknown[]): Promise<number> {
    const fn = this.lib()[name];
    return new Promise((resolve, reject) => {
      fn.async(...args, (err: unknown, rv: number) => {
        if (err) reject(err instanceof Error ? err : new Error(String(err)));
        else if (rv !== SAR.OK) reject(new SkfError(name, rv));
        else resolve(rv);
      });
    });
  }

  /** Calls returning an SAR code without throwing. */
  private try(name: SkfName, ...args: unknown[]): Promise<number> {
    return this.call(name, ...args).catch((e: unknown) => {
      if (e instanceof SkfError) return e.code;
      throw e;
    });
  }

  /** The two-call pattern of GM/T 0016: size first, then the data. */
  private async variable(name: SkfName, before: unknown[], initial = 0): Promise<Buffer> {
    const size = [initial];
    if (initial === 0) await this.call(name, ...before, null, size);
    for (let attempt = 0; ; attempt++) {
      const buf = Buffer.alloc(Math.max(size[0], 1));
      const rv = await this.try(name, ...before, buf, size);
      if (rv === SAR.OK) return buf.subarray(0, size[0]);
      if (rv !== SAR.BUFFER_TOO_SMALL || attempt > 2) throw new SkfError(name, rv);
    }
  }

  /** One operation at a time: login state lives in the library. */
  private run<T>(fn: () => Promise<T>): Promise<T> {
    const next = this.queue
      .catch(() => undefined)
      .then(async () => {
        try {
          return await fn();
        } catch (e) {
          throw this.translate(e);
        }
      });
    this.queue = next;
    return next;
  }

  private translate(e: unknown): unknown {
    if (isDomainError(e) || !(e instanceof SkfError)) return e;
    if (e.code === SAR.DEVICE_REMOVED) return new DomainError("TOKEN_REMOVED");
    if (e.code === SAR.PIN_INVALID || e.code === SAR.PIN_LEN_RANGE) return new DomainError("PIN_INVALID");
    return new DomainError("TOKEN_MIDDLEWARE_ERROR", {
      library: path.basename(this.opts.modulePath),
      reason: e.message,
    });
  }

  // ---- enumeration ----

  private async apps<T>(visit: (ref: AppRef) => Promise<T>): Promise<T[]> {
    const out: T[] = [];
    const devices = nameList(await this.variable("SKF_EnumDev", [1]));
    for (const devName of devices) {
      const devOut: Handle[] = [null];
      if ((await this.try("SKF_ConnectDev", cstr(devName), devOut)) !== SAR.OK) continue; // unplugged meanwhile
      const dev = devOut[0];
      try {
        const info = Buffer.alloc(512);
        await this.call("SKF_GetDevInfo", dev, info);
        // DEVINFO (packed): Version 2, Manufacturer 64, Issuer 64, Label 32 at 130, SerialNumber 32 at 162
        const devSerial = fixedString(info.subarray(162, 194)) || devName;
        const label = fixedString(info.subarray(130, 162)) || devName;
        const appNames = nameList(await this.variable("SKF_EnumApplication", [dev]));
        for (const appName of appNames) {
          const appOut: Handle[] = [null];
          if ((await this.try("SKF_OpenApplication", dev, cstr(appName), appOut)) !== SAR.OK) continue;
          const app = appOut[0];
          try {
            const serial = tokenSerial(appNames.length === 1 ? devSerial : `${devSerial}.${appName}`);
            out.push(await visit({ dev, app, devName, appName, serial, label }));
          } finally {
            await this.try("SKF_CloseApplication", app);
          }
        }
      } finally {
        await this.try("SKF_DisConnectDev", dev);
      }
    }
    return out;
  }

  /** Runs `fn` on the application of token `serial`. */
  private async withApp<T>(serial: string, fn: (ref: AppRef) => Promise<T>): Promise<T> {
    let found = false;
    const [result] = await this.apps(async (ref) => {
      if (ref.serial !== serial || found) return undefined;
      found = true;
      return { value: await fn(ref) };
    }).then((all) => all.filter((r) => r !== undefined));
    if (!result) throw new DomainError("TOKEN_NOT_FOUND");
    return result.value;
  }

  private async withContainer<T>(app: Handle, name: string, fn: (c: Handle) => Promise<T>): Promise<T> {
    const out: Handle[] = [null];
    const rv = await this.try("SKF_OpenContainer", app, cstr(name), out);
    if (rv === SAR.FILE_NOT_EXIST) throw new DomainError("TOKEN_CERT_NOT_FOUND");
    if (rv !== SAR.OK) throw new SkfError("SKF_OpenContainer", rv);
    try {
      return await fn(out[0]);
    } finally {
      await this.try("SKF_CloseContainer", out[0]);
    }
  }

  /**
   * The container's certificate, or undefined when it has none. Middleware answers "none" in many ways
   * (SAR_CERTNOTFOUNTERR, SAR_FILE_NOT_EXIST, SAR_FAIL, or success with length 0): every answer but an unplugged
   * device counts as none, so one odd container does not hide the key's other certificates.
   */
  private async exportCertificate(container: Handle, sign: boolean): Promise<Buffer | undefined> {
    try {
      const der = await this.variable("SKF_ExportCertificate", [container, sign ? 1 : 0]);
      return der.length > 0 ? der : undefined;
    } catch (e) {
      if (e instanceof SkfError && e.code !== SAR.DEVICE_REMOVED) return undefined;
      throw e;
    }
  }

  private async containers(app: Handle): Promise<Container[]> {
    const names = nameList(await this.variable("SKF_EnumContainer", [app]));
    const out: Container[] = [];
    for (const name of names) {
      const cert = await this.withContainer(app, name, (c) => this.exportCertificate(c, true));
      out.push({ name, cert });
    }
    return out;
  }

  private async certificate(app: Handle, certId: string): Promise<{ name: string; der: Buffer }> {
    const name = containerName(certId);
    const der = await this.withContainer(app, name, (c) => this.exportCertificate(c, true)).catch((e: unknown) => {
      if (isDomainError(e)) return undefined;
      throw e;
    });
    if (!der) throw new DomainError("TOKEN_CERT_NOT_FOUND");
    return { name, der };
  }

  /** The container's signing public key as SPKI, or undefined when it has none. */
  private async signingKey(container: Handle): Promise<{ spki: Buffer; family: SkfFamily; blob: Buffer } | undefined> {
    const type = [0];
    await this.call("SKF_GetContainerType", container, type);
    if (type[0] !== CONTAINER_RSA && type[0] !== CONTAINER_ECC) return undefined;
    let blob: Buffer;
    try {
      blob = await this.variable(
        "SKF_ExportPublicKey",
        [container, 1],
        type[0] === CONTAINER_RSA ? RSA_PUBLIC_BLOB : ECC_PUBLIC_BLOB,
      );
    } catch (e) {
      if (e instanceof SkfError && e.code === SAR.KEY_NOT_FOUND) return undefined;
      throw e;
    }
    if (type[0] === CONTAINER_ECC) return { spki: sm2SpkiOf(blob), family: { type: "sm2" }, blob };
    const rsa = rsaSpkiOf(blob);
    return { spki: rsa.spki, family: { type: "rsa", bits: rsa.bits }, blob };
  }

  // ---- PINs ----

  private async pinOf(app: Handle): Promise<PinStatus> {
    const max = [0];
    const left = [0];
    const isDefault = [0];
    await this.call("SKF_GetPINInfo", app, USER_TYPE, max, left, isDefault);
    return {
      triesLeft: left[0],
      countLow: left[0] < max[0],
      finalTry: left[0] === 1,
      locked: left[0] === 0,
      toBeChanged: isDefault[0] !== 0,
    };
  }

  private async login(app: Handle, pin: string): Promise<void> {
    const retry = [0];
    const rv = await this.try("SKF_VerifyPIN", app, USER_TYPE, cstr(pin), retry);
    if (rv === SAR.OK) return;
    if (rv === SAR.PIN_LOCKED) throw new DomainError("PIN_LOCKED");
    if (rv === SAR.PIN_INCORRECT) {
      const status = await this.pinOf(app);
      if (status.locked) throw new DomainError("PIN_LOCKED");
      throw new DomainError("PIN_INCORRECT", { ...status, triesLeft: status.triesLeft ?? retry[0] });
    }
    throw new SkfError("SKF_VerifyPIN", rv);
  }

  private async adminCall(name: "SKF_UnblockPIN" | "SKF_ChangePIN", ...args: unknown[]): Promise<void> {
    const retry = [0];
    const rv = await this.try(name, ...args, retry);
    if (rv === SAR.OK) return;
    if (rv === SAR.PIN_LOCKED) throw new DomainError("SO_PIN_LOCKED");
    if (rv === SAR.PIN_INCORRECT)
      throw new DomainError("SO_PIN_INCORRECT", { finalTry: retry[0] === 1, triesLeft: retry[0] });
    throw new SkfError(name, rv);
  }

  // ---- signing ----

  private async signWith(ref: AppRef, container: Handle, data: Buffer): Promise<Buffer> {
    const key = await this.signingKey(container);
    if (!key) throw new DomainError("TOKEN_CERT_NOT_FOUND");
    if (key.family.type === "rsa") {
      const digestInfo = Buffer.concat([SHA256_DIGEST_INFO, createHash("sha256").update(data).digest()]);
      const size = [key.family.bits / 8];
      const signature = Buffer.alloc(size[0]);
      await this.call("SKF_RSASignData", container, digestInfo, digestInfo.length, signature, size);
      return signature.subarray(0, size[0]);
    }
    const hash: Handle[] = [null];
    await this.call("SKF_DigestInit", ref.dev, SGD_SM3, key.blob, SM2_DEFAULT_ID, SM2_DEFAULT_ID.length, hash);
    const digest = Buffer.alloc(32);
    try {
      await this.call("SKF_Digest", hash[0], data, data.length, digest, [32]);
    } finally {
      await this.try("SKF_CloseHandle", hash[0]);
    }
    const blob = Buffer.alloc(128);
    await this.call("SKF_ECCSignData", container, digest, digest.length, blob);
    return ecdsaRawToDer(Buffer.concat([blob.subarray(32, 64), blob.subarray(96, 128)]));
  }

  // ---- TokenBackend ----

  async listTokens(): Promise<TokenSummary[]> {
    return this.run(() =>
      this.apps(async (ref) => {
        const containers = await this.containers(ref.app);
        return {
          id: `${this.name}:${ref.serial}`,
          backend: this.name,
          label: ref.label,
          serial: ref.serial,
          pin: await this.pinOf(ref.app),
          certificates: await this.withEncryption(
            ref.app,
            summarizeCertificates(
              containers.flatMap((c) => (c.cert ? [{ id: containerId(c.name), der: c.cert }] : [])),
            ),
          ),
        };
      }),
    );
  }

  /** Dual certificates: each container's encryption certificate beside its signing one. */
  private async withEncryption(app: Handle, summaries: CertificateSummary[]): Promise<CertificateSummary[]> {
    const out: CertificateSummary[] = [];
    for (const summary of summaries) {
      const enc = await this.withContainer(app, containerName(summary.id), (c) => this.exportCertificate(c, false));
      out.push(enc ? { ...summary, encryption: { serial: serialHex(enc), der: enc.toString("base64") } } : summary);
    }
    return out;
  }

  async pinStatus(serial: string): Promise<PinStatus> {
    return this.run(() => this.withApp(serial, (ref) => this.pinOf(ref.app)));
  }

  async sign(serial: string, args: { certId: string; pin: string; data: Buffer }): Promise<SignResult> {
    return this.run(() =>
      this.withApp(serial, async (ref) => {
        const { name, der } = await this.certificate(ref.app, args.certId);
        const family = familyOfCertificate(der);
        await this.login(ref.app, args.pin);
        const signature = await this.withContainer(ref.app, name, (c) => this.signWith(ref, c, args.data));
        return {
          signature: signature.toString("base64"),
          algorithm: family.type === "rsa" ? "RSA-SHA256" : "SM2-SM3",
          certificate: der.toString("base64"),
        };
      }),
    );
  }

  async keygen(serial: string, args: { certId: string; pin: string; algorithm?: "SM2" }): Promise<KeygenResult> {
    return this.run(() =>
      this.withApp(serial, async (ref) => {
        const { name, der } = await this.certificate(ref.app, args.certId);
        // an RSA holder moved to SM2 gets an ECC (SM2) key pair in the new container
        const family: SkfFamily = args.algorithm === "SM2" ? { type: "sm2" } : familyOfCertificate(der);
        await this.login(ref.app, args.pin);
        const pending = pendingName(name);
        const open: Handle[] = [null];
        let rv = await this.try("SKF_OpenContainer", ref.app, cstr(pending), open);
        if (rv === SAR.FILE_NOT_EXIST) rv = await this.try("SKF_CreateContainer", ref.app, cstr(pending), open);
        if (rv !== SAR.OK) throw new SkfError("SKF_CreateContainer", rv);
        const container = open[0];
        try {
          // the container of a renewal already installed (its old container not yet removed): never overwrite it
          if (await this.exportCertificate(container, true))
            throw new DomainError("TOKEN_OPERATION_FAILED", {
              reason: "the renewed certificate is already on the key",
            });
          let key = await this.signingKey(container);
          const reusable =
            key &&
            key.family.type === family.type &&
            (family.type !== "rsa" || (key.family.type === "rsa" && key.family.bits === family.bits));
          if (!reusable) {
            if (family.type === "rsa")
              await this.call("SKF_GenRSAKeyPair", container, family.bits, Buffer.alloc(RSA_PUBLIC_BLOB));
            else await this.call("SKF_GenECCKeyPair", container, SGD_SM2_1, Buffer.alloc(ECC_PUBLIC_BLOB));
            key = await this.signingKey(container);
            if (!key) throw new DomainError("TOKEN_OPERATION_FAILED", { reason: "no key after key generation" });
          }
          const spki = key!.spki;
          const csr = await buildCsr({
            subject: subjectDer(der),
            spki,
            family,
            sign: (tbs) => this.signWith(ref, container, tbs),
          });
          return { pendingId: containerId(pending), csr: csr.toString("base64"), keyAlgorithm: keyAlgorithmOf(family) };
        } finally {
          await this.try("SKF_CloseContainer", container);
        }
      }),
    );
  }

  async install(
    serial: string,
    args: { pin: string; certificates: Buffer[]; envelope?: Buffer },
  ): Promise<InstallResult> {
    return this.run(() =>
      this.withApp(serial, async (ref) => {
        await this.login(ref.app, args.pin);
        const containers = await this.containers(ref.app);
        const pending: { name: string; spki: Buffer }[] = [];
        for (const c of containers) {
          if (!c.name.startsWith(PENDING) || c.cert) continue;
          const key = await this.withContainer(ref.app, c.name, (h) => this.signingKey(h));
          if (key) pending.push({ name: c.name, spki: key.spki });
        }
        const match = findLeafFor(
          args.certificates,
          pending.map((p) => p.spki),
        );
        if (!match) {
          // a retried install: the certificate is on the key already; finish an install cut off before the removal
          const onToken = containers.find((c) => c.cert && args.certificates.some((d) => d.equals(c.cert!)));
          if (!onToken) throw new DomainError("TOKEN_NO_PENDING_KEY");
          const left = containers.find((c) => c.cert && pendingName(c.name) === onToken.name);
          if (left) await this.call("SKF_DeleteContainer", ref.app, cstr(left.name));
          return {
            certificate: summarizeCertificate(containerId(onToken.name), onToken.cert!),
            replacedId: left ? containerId(left.name) : null,
          };
        }
        const target = pending[match.index].name;
        await this.withContainer(ref.app, target, async (c) => {
          // the encryption pair first: the container stays pending (no signing certificate) until it is complete
          if (args.envelope) await this.importEnvelope(c, args.envelope, args.certificates);
          await this.call("SKF_ImportCertificate", c, 1, match.der, match.der.length);
          const back = await this.exportCertificate(c, true);
          if (!back || !back.equals(match.der))
            throw new DomainError("TOKEN_OPERATION_FAILED", { reason: "read-back mismatch" });
        });
        const old = containers.find((c) => c.cert && pendingName(c.name) === target);
        if (old) await this.call("SKF_DeleteContainer", ref.app, cstr(old.name));
        return {
          certificate: summarizeCertificate(containerId(target), match.der),
          replacedId: old ? containerId(old.name) : null,
        };
      }),
    );
  }

  /** SKF_UnblockPIN with the admin PIN (resets the user PIN and its counter), then SKF_ChangePIN of the admin PIN. */
  async unlock(serial: string, args: { soPin: string; newPin: string; newSoPin: string }): Promise<void> {
    return this.run(() =>
      this.withApp(serial, async (ref) => {
        await this.adminCall("SKF_UnblockPIN", ref.app, cstr(args.soPin), cstr(args.newPin));
        if (args.newSoPin !== args.soPin)
          await this.adminCall("SKF_ChangePIN", ref.app, ADMIN_TYPE, cstr(args.soPin), cstr(args.newSoPin));
      }),
    );
  }

  /**
   * SKF_ImportECCKeyPair of a KMC envelope (ENVELOPEDKEYBLOB, lib/token/enveloped-key.ts) into an open container whose
   * signing key opens it, then the encryption certificate for the imported key (found in `certificates` by the
   * public key the device reports), read back.
   */
  private async importEnvelope(container: Handle, envelope: Buffer, certificates: Buffer[]): Promise<void> {
    const rv = await this.try("SKF_ImportECCKeyPair", container, envelope);
    if (rv === SAR.INDATA || rv === SAR.INVALID_PARAM || rv === SAR.NOT_SUPPORTED)
      throw new DomainError("TOKEN_ENVELOPE_INVALID", { reason: `SKF_ImportECCKeyPair 0x${rv.toString(16)}` });
    if (rv !== SAR.OK) throw new SkfError("SKF_ImportECCKeyPair", rv);
    const spki = sm2SpkiOf(await this.variable("SKF_ExportPublicKey", [container, 0], ECC_PUBLIC_BLOB));
    const cert = findLeafFor(certificates, [spki]);
    if (!cert) throw new DomainError("TOKEN_ENVELOPE_INVALID", { reason: "no certificate for the enveloped key" });
    await this.call("SKF_ImportCertificate", container, 0, cert.der, cert.der.length);
    const back = await this.exportCertificate(container, false);
    if (!back || !back.equals(cert.der))
      throw new DomainError("TOKEN_OPERATION_FAILED", { reason: "encryption certificate read-back mismatch" });
  }

  /**
   * Imports an enveloped SM2 encryption key pair (ENVELOPEDKEYBLOB, lib/token/enveloped-key.ts) into the container
   * of `certId` (an installed certificate or a pending key), whose signing key opens the envelope, and optionally its
   * encryption certificate: key recovery onto a key already in use.
   */
  async importEncryptionKeyPair(
    serial: string,
    args: { certId: string; pin: string; envelope: Buffer; certificate?: Buffer },
  ): Promise<{ publicKey: Buffer }> {
    return this.run(() =>
      this.withApp(serial, async (ref) => {
        await this.login(ref.app, args.pin);
        return this.withContainer(ref.app, containerName(args.certId), async (c) => {
          await this.call("SKF_ImportECCKeyPair", c, args.envelope);
          const blob = await this.variable("SKF_ExportPublicKey", [c, 0], ECC_PUBLIC_BLOB);
          if (args.certificate)
            await this.call("SKF_ImportCertificate", c, 0, args.certificate, args.certificate.length);
          return { publicKey: sm2SpkiOf(blob) };
        });
      }),
    );
  }

  /** Unloads the library once the calls under way are done. */
  async close(): Promise<void> {
    await this.queue.catch(() => undefined);
    const library = this.library;
    this.fns = undefined;
    this.library = undefined;
    library?.unload();
  }
}
