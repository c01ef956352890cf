import {
  X509Certificate,
  createCipheriv,
  createDecipheriv,
  createPrivateKey,
  createPublicKey,
  generateKeyPairSync,
  randomBytes,
  scryptSync,
  sign as cryptoSign,
  type KeyObject,
} from "node:crypto";
import fs from "node:fs";
import path from "node:path";
import { DomainError } from "../errors";
import { generateSm2KeyPair, sm2KeyObject, sm2PairOfKeyObject, sm2Sign } from "../crypto/sm2";
import { keyFamilyOf, type KeyFamily } from "./key-family";

/**
 * The virtual token's file format: `<dir>/<serial>.json`, one per token. The certificate assistant's
 * VirtualBackend operates on it; the demo seed, tests and benches provision tokens with it.
 *
 * Key protection. Each token has a random 256-bit token master key (TMK). Private keys (PKCS#8 DER) are
 * sealed under the TMK with AES-256-GCM, the token serial and key id as associated data (a sealed key cannot
 * be moved to another token or id). The TMK itself is stored twice, wrapped (AES-256-GCM) under:
 *   - the user-PIN key:  scrypt(user PIN, salt_u), and
 *   - the SO-PIN key:    scrypt(SO PIN, salt_s)  (the SO's escrowed copy).
 * A PIN is correct exactly when its wrap opens (the GCM tag is the verifier; no PIN hash to brute-force
 * separately). Changing a PIN rewraps the TMK under the new PIN; SO unlock opens the escrowed copy with the SO
 * PIN and writes fresh user and SO wraps, so keys survive an unlock without ever being stored in clear.
 * Wrong PINs decrement a counter written to disk before the answer; at 0 the token refuses the PIN
 * (also the right one) until an SO unlock.
 */

const VIRTUAL_TOKEN_FORMAT = "certrenew-virtual-token/1";
const DEFAULT_PIN_LIMIT = 6;
const DEFAULT_SO_PIN_LIMIT = 10;
const SCRYPT = { N: 1 << 14, r: 8, p: 1, maxmem: 64 * 1024 * 1024 };

interface Sealed {
  iv: string;
  tag: string;
  ct: string;
}

interface PinWrap extends Sealed {
  salt: string;
}

export interface VirtualKey {
  id: string;
  family: KeyFamily;
  /** base64 SPKI DER of the public key */
  spki: string;
  sealed: Sealed;
  /** id of the certificate this key will replace once its own certificate is installed */
  pendingFor: string | null;
  /**
   * Dual certificates: the encryption key pair imported from the KMC's envelope into this key's container (like an
   * SKF container's second pair), sealed under the TMK with `<serial>/key/<id>/enc`, and its certificate (base64 DER).
   */
  encryption?: { spki: string; sealed: Sealed; certificate: string };
}

interface VirtualCertificate {
  id: string;
  der: string;
}

export interface VirtualTokenFile {
  format: typeof VIRTUAL_TOKEN_FORMAT;
  label: string;
  serial: string;
  pinLimit: number;
  triesLeft: number;
  soPinLimit: number;
  soTriesLeft: number;
  userWrap: PinWrap;
  soWrap: PinWrap;
  keys: VirtualKey[];
  certificates: VirtualCertificate[];
}

export interface VirtualToken {
  dir: string;
  serial: string;
  /** The unwrapped TMK, for provisioning only (seed, tests); the assistant never keeps it. */
  masterKey: Buffer;
}

const SERIAL = /^[A-Za-z0-9_-]{1,32}$/;
const ID = /^[0-9a-f]{2,64}$/;

export function tokenPath(dir: string, serial: string): string {
  if (!SERIAL.test(serial)) throw new DomainError("TOKEN_NOT_FOUND");
  return path.join(dir, `${serial}.json`);
}

function b64(b: Buffer): string {
  return b.toString("base64");
}

function seal(key: Buffer, plain: Buffer, aad: string): Sealed {
  const iv = randomBytes(12);
  const cipher = createCipheriv("aes-256-gcm", key, iv);
  cipher.setAAD(Buffer.from(aad));
  const ct = Buffer.concat([cipher.update(plain), cipher.final()]);
  return { iv: b64(iv), tag: b64(cipher.getAuthTag()), ct: b64(ct) };
}

/** The plaintext, or null when the key is wrong (GCM authentication fails). */
function open(key: Buffer, sealed: Sealed, aad: string): Buffer | null {
  try {
    const decipher = createDecipheriv("aes-256-gcm", key, Buffer.from(sealed.iv, "base64"));
    decipher.setAAD(Buffer.from(aad));
    decipher.setAuthTag(Buffer.from(sealed.tag, "base64"));
    return Buffer.concat([decipher.update(Buffer.from(sealed.ct, "base64")), decipher.final()]);
  } catch {
    return null;
  }
}

function pinKey(pin: string, salt: Buffer): Buffer {
  return scryptSync(Buffer.from(pin, "utf8"), salt, 32, SCRYPT);
}

export function wrapMasterKey(masterKey: Buffer, pin: string, role: "user" | "so", serial: string): PinWrap {
  const salt = randomBytes(16);
  return { salt: b64(salt), ...seal(pinKey(pin, salt), masterKey, `${serial}/${role}`) };
}

export function unwrapMasterKey(wrap: PinWrap, pin: string, role: "user" | "so", serial: string): Buffer | null {
  return open(pinKey(pin, Buffer.from(wrap.salt, "base64")), wrap, `${serial}/${role}`);
}

export function sealPrivateKey(masterKey: Buffer, serial: string, id: string, privateKey: KeyObject): Sealed {
  return seal(masterKey, privateKey.export({ type: "pkcs8", format: "der" }), `${serial}/key/${id}`);
}

/** The AAD of a container's encryption private key: never interchangeable with its signing key. */
export function encryptionKeyLabel(id: string): string {
  return `${id}/enc`;
}

export function openPrivateKey(masterKey: Buffer, serial: string, key: Pick<VirtualKey, "id" | "sealed">): KeyObject {
  const der = open(masterKey, key.sealed, `${serial}/key/${key.id}`);
  if (!der) throw new DomainError("TOKEN_OPERATION_FAILED", { reason: "key object damaged" });
  return createPrivateKey({ key: der, format: "der", type: "pkcs8" });
}

/** A new private key of `family`, as a token makes it on the key. */
export function generateTokenKey(family: KeyFamily): KeyObject {
  if (family.type === "sm2") return sm2KeyObject(generateSm2KeyPair());
  const pair =
    family.type === "rsa"
      ? generateKeyPairSync("rsa", { modulusLength: family.bits, publicExponent: 0x10001 })
      : generateKeyPairSync("ec", { namedCurve: family.curve });
  return pair.privateKey;
}

/**
 * What a token signs: RSA PKCS#1 v1.5 or DER ECDSA over SHA-256; for SM2 a DER SM2 signature over SM3(Z ‖ data)
 * with the default ID 1234567812345678, as an SKF key's SKF_DigestInit + SKF_ECCSignData make it.
 */
export function signWithTokenKey(key: KeyObject, data: Buffer): Buffer {
  const sm2 = sm2PairOfKeyObject(key);
  if (sm2) return sm2Sign(data, sm2.privateKey, { publicKey: sm2.publicKey });
  return cryptoSign("sha256", data, { key, dsaEncoding: "der" });
}

export function readTokenFile(dir: string, serial: string): VirtualTokenFile {
  let text: string;
  try {
    text = fs.readFileSync(tokenPath(dir, serial), "utf8");
  } catch {
    throw new DomainError("TOKEN_NOT_FOUND");
  }
  const file = JSON.parse(text) as VirtualTokenFile;
  if (file.format !== VIRTUAL_TOKEN_FORMAT)
    throw new DomainError("TOKEN_OPERATION_FAILED", { reason: "unknown token format" });
  return file;
}

/** Write-then-rename, so an interrupted write leaves the previous state, never half a file. */
export function writeTokenFile(dir: string, file: VirtualTokenFile): void {
  const target = tokenPath(dir, file.serial);
  const tmp = `${target}.${process.pid}.${randomBytes(4).toString("hex")}.tmp`;
  fs.writeFileSync(tmp, JSON.stringify(file, null, 2), { mode: 0o600 });
  fs.renameSync(tmp, target);
}

export function createVirtualToken(args: {
  dir: string;
  label: string;
  serial: string;
  pin: string;
  soPin: string;
  pinLimit?: number;
}): VirtualToken {
  fs.mkdirSync(args.dir, { recursive: true, mode: 0o700 });
  const masterKey = randomBytes(32);
  const pinLimit = args.pinLimit ?? DEFAULT_PIN_LIMIT;
  writeTokenFile(args.dir, {
    format: VIRTUAL_TOKEN_FORMAT,
    label: args.label,
    serial: args.serial,
    pinLimit,
    triesLeft: pinLimit,
    soPinLimit: DEFAULT_SO_PIN_LIMIT,
    soTriesLeft: DEFAULT_SO_PIN_LIMIT,
    userWrap: wrapMasterKey(masterKey, args.pin, "user", args.serial),
    soWrap: wrapMasterKey(masterKey, args.soPin, "so", args.serial),
    keys: [],
    certificates: [],
  });
  return { dir: args.dir, serial: args.serial, masterKey };
}

/** Puts an existing key pair and its certificate on the token under `id` (lowercase hex, the CKA_ID). */
export function importKeyAndCertificate(
  token: VirtualToken,
  args: { privateKey: KeyObject; certificateDer: Buffer; id: string },
): void {
  if (!ID.test(args.id)) throw new Error("id must be 2-64 lowercase hex characters");
  const file = readTokenFile(token.dir, token.serial);
  if (file.keys.some((k) => k.id === args.id) || file.certificates.some((c) => c.id === args.id))
    throw new Error(`id ${args.id} already used on token ${token.serial}`);
  const certKey = new X509Certificate(args.certificateDer).publicKey;
  const spki = certKey.export({ type: "spki", format: "der" });
  if (!spki.equals(createPublicKey(args.privateKey).export({ type: "spki", format: "der" })))
    throw new Error("the private key does not match the certificate");
  file.keys.push({
    id: args.id,
    family: keyFamilyOf(certKey),
    spki: b64(spki),
    sealed: sealPrivateKey(token.masterKey, token.serial, args.id, args.privateKey),
    pendingFor: null,
  });
  file.certificates.push({ id: args.id, der: b64(args.certificateDer) });
  writeTokenFile(token.dir, file);
}

/**
 * Test hook: a file `<serial>.json.unplug` naming a step (e.g. `install:after-write`, or `*`) makes the token
 * "unplugged" at that step of the next operation that reaches it, once. Honoured only by a VirtualBackend created
 * with `testHooks: true`; lib/dev/testing/virtual-token.ts's scheduleUnplug writes it.
 */
export function unplugFlagPath(dir: string, serial: string): string {
  return tokenPath(dir, serial) + ".unplug";
}

/** Throws TOKEN_REMOVED (and clears the flag) if an unplug is scheduled for this step. */
export function unplugCheckpoint(dir: string, serial: string, step: string): void {
  const flag = unplugFlagPath(dir, serial);
  let wanted: string;
  try {
    wanted = fs.readFileSync(flag, "utf8").trim();
  } catch {
    return;
  }
  if (wanted !== step && wanted !== "*") return;
  fs.rmSync(flag, { force: true });
  throw new DomainError("TOKEN_REMOVED", { step });
}
