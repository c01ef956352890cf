import {
  createCipheriv,
  createDecipheriv,
  createHash,
  createECDH,
  createHmac,
  createPrivateKey,
  getCiphers,
  getHashes,
  type KeyObject,
} from "node:crypto";
import { sm2 as gm2, sm3 as jsSm3, sm4 as jsSm4 } from "sm-crypto-v2";
import { loadSm2Native, type Sm2Native, type Sm2NativeKey } from "./sm2-native";

/**
 * The national algorithms (GM/T 0003 SM2, GM/T 0004 SM3, GM/T 0002 SM4) in the forms X.509, GM/T 0009 and the
 * USB keys use. Node's `crypto.sign('sm3', …)` on an SM2-curve key computes ECDSA, not SM2, and openssl rejects it:
 * SM2 signatures and their verification go through OpenSSL's EVP API called with koffi (./sm2-native.ts) when it
 * loads and passes a self-test, else sm-crypto-v2 (`SM2_IMPL=js|native|auto`, see sm2Implementation). Key
 * generation and SM2 encryption are sm-crypto-v2's. SM3 and SM4 run in node:crypto (OpenSSL) where the build has them.
 *
 * Keys are bytes: a private key is the 32-byte scalar d, a public key the 65-byte uncompressed point 04‖x‖y.
 */

/** The default signer ID of GM/T 0009 §10 ("1234567812345678"), used whenever nobody agreed on another one. */
export const SM2_DEFAULT_ID = "1234567812345678";

export const SM2_OIDS = {
  /** id-ecPublicKey: the SPKI algorithm of SM2 keys (GM/T 0015), with the curve as its parameter */
  ecPublicKey: "1.2.840.10045.2.1",
  /** the SM2 curve (sm2p256v1) */
  sm2Curve: "1.2.156.10197.1.301",
  /** SM2-with-SM3 signatures: AlgorithmIdentifier without parameters */
  sm2WithSm3: "1.2.156.10197.1.501",
  sm3: "1.2.156.10197.1.401",
  sm4: "1.2.156.10197.1.104",
} as const;

export interface Sm2KeyPair {
  /** 32-byte scalar */
  privateKey: Buffer;
  /** 65 bytes, 04‖x‖y */
  publicKey: Buffer;
}

/** Something was malformed or did not belong to SM2: callers map it to their own codes. */
export class Sm2FormatError extends Error {
  constructor(message: string) {
    super(message);
    this.name = "Sm2FormatError";
  }
}

const N = BigInt("0xFFFFFFFEFFFFFFFFFFFFFFFFFFFFFFFF7203DF6B21C6052B53BBF40939D54123");

// ---- a minimal strict DER reader/writer (lib/crypto is a kernel folder and cannot use lib/pki/der) ----

function len(n: number): Buffer {
  if (n < 0x80) return Buffer.from([n]);
  const bytes: number[] = [];
  for (let v = n; v > 0; v = Math.floor(v / 256)) bytes.unshift(v & 0xff);
  return Buffer.from([0x80 | bytes.length, ...bytes]);
}
function tlv(tag: number, value: Buffer): Buffer {
  return Buffer.concat([Buffer.from([tag]), len(value.length), value]);
}
const seq = (...parts: Buffer[]) => tlv(0x30, Buffer.concat(parts));
const octets = (b: Buffer) => tlv(0x04, b);
function uint(b: Buffer): Buffer {
  let i = 0;
  while (i < b.length - 1 && b[i] === 0) i++;
  const v = b.subarray(i);
  return tlv(0x02, v[0]! & 0x80 ? Buffer.concat([Buffer.from([0]), v]) : v);
}
function oid(dotted: string): Buffer {
  const [a, b, ...rest] = dotted.split(".").map(Number);
  const out = [a! * 40 + b!];
  for (const n of rest) {
    const part = [n & 0x7f];
    for (let v = Math.floor(n / 128); v > 0; v = Math.floor(v / 128)) part.unshift(0x80 | (v & 0x7f));
    out.push(...part);
  }
  return tlv(0x06, Buffer.from(out));
}

interface Tlv {
  tag: number;
  value: Buffer;
  end: number;
}
function readTlv(buf: Buffer, at: number): Tlv {
  if (at + 2 > buf.length) throw new Sm2FormatError("truncated DER");
  const tag = buf[at]!;
  let l = buf[at + 1]!;
  let p = at + 2;
  if (l & 0x80) {
    const n = l & 0x7f;
    if (n === 0 || n > 3 || p + n > buf.length) throw new Sm2FormatError("bad DER length");
    l = 0;
    for (let i = 0; i < n; i++) l = l * 256 + buf[p + i]!;
    if (l < 0x80 || buf[p] === 0) throw new Sm2FormatError("non-minimal DER length");
    p += n;
  }
  if (p + l > buf.length) throw new Sm2FormatError("truncated DER");
  return { tag, value: buf.subarray(p, p + l), end: p + l };
}
/** The children of a constructed value; the value must be exactly consumed. */
function children(value: Buffer): Tlv[] {
  const out: Tlv[] = [];
  for (let at = 0; at < value.length;) {
    const t = readTlv(value, at);
    out.push(t);
    at = t.end;
  }
  return out;
}
function whole(der: Uint8Array, tag: number): Tlv {
  const buf = Buffer.from(der.buffer, der.byteOffset, der.byteLength);
  const t = readTlv(buf, 0);
  if (t.tag !== tag || t.end !== buf.length) throw new Sm2FormatError("unexpected DER structure");
  return t;
}
/** A positive DER INTEGER, minimally encoded, as a bigint. */
function readUint(t: Tlv | undefined): bigint {
  if (!t || t.tag !== 0x02 || t.value.length === 0) throw new Sm2FormatError("expected INTEGER");
  const v = t.value;
  if (v[0]! & 0x80) throw new Sm2FormatError("negative INTEGER");
  if (v.length > 1 && v[0] === 0 && !(v[1]! & 0x80)) throw new Sm2FormatError("non-minimal INTEGER");
  if (v.length > 33) throw new Sm2FormatError("INTEGER too large");
  return BigInt(`0x${v.toString("hex")}`);
}
function readOid(t: Tlv | undefined): string {
  if (!t || t.tag !== 0x06 || t.value.length === 0) throw new Sm2FormatError("expected OBJECT IDENTIFIER");
  const parts: number[] = [];
  let n = 0;
  for (const byte of t.value) {
    n = n * 128 + (byte & 0x7f);
    if (!(byte & 0x80)) {
      parts.push(n);
      n = 0;
    }
  }
  const first = parts.shift() ?? 0;
  return [first < 80 ? Math.floor(first / 40) : 2, first < 80 ? first % 40 : first - 80, ...parts].join(".");
}
const b32 = (n: bigint) => Buffer.from(n.toString(16).padStart(64, "0"), "hex");

// ---- keys ----

function checkPrivate(d: Uint8Array): string {
  if (d.length !== 32) throw new Sm2FormatError("an SM2 private key is 32 bytes");
  const v = BigInt(`0x${Buffer.from(d).toString("hex")}`);
  if (v < 1n || v > N - 2n) throw new Sm2FormatError("SM2 private key out of range");
  return Buffer.from(d).toString("hex");
}

/** Uncompressed 04‖x‖y as hex, after checking the point is on the curve. Accepts compressed points too. */
function checkPublic(p: Uint8Array): string {
  const hex = Buffer.from(p).toString("hex");
  const shaped = (p.length === 65 && p[0] === 4) || (p.length === 33 && (p[0] === 2 || p[0] === 3));
  try {
    if (shaped && gm2.verifyPublicKey(hex)) return p.length === 65 ? hex : gm2.precomputePublicKey(hex, 1).toHex(false);
  } catch {
    // noble throws on points that are not on the curve
  }
  throw new Sm2FormatError("not a point on the SM2 curve");
}

export function generateSm2KeyPair(): Sm2KeyPair {
  const { privateKey, publicKey } = gm2.generateKeyPairHex();
  return { privateKey: Buffer.from(privateKey.padStart(64, "0"), "hex"), publicKey: Buffer.from(publicKey, "hex") };
}

export function sm2PublicKeyOf(privateKey: Uint8Array): Buffer {
  return Buffer.from(gm2.getPublicKeyFromPrivateKey(checkPrivate(privateKey)), "hex");
}

/** SubjectPublicKeyInfo { id-ecPublicKey, sm2 curve } with the uncompressed point (GM/T 0015). */
export function sm2SpkiEncode(publicKey: Uint8Array): Buffer {
  const point = Buffer.from(checkPublic(publicKey), "hex");
  return seq(
    seq(oid(SM2_OIDS.ecPublicKey), oid(SM2_OIDS.sm2Curve)),
    tlv(0x03, Buffer.concat([Buffer.from([0]), point])),
  );
}

/** Whether a SubjectPublicKeyInfo names the SM2 curve (without checking the point). */
export function isSm2Spki(spki: Uint8Array): boolean {
  try {
    const [alg] = children(whole(spki, 0x30).value);
    const [algOid, curve] = children(alg?.value ?? Buffer.alloc(0));
    return readOid(algOid) === SM2_OIDS.ecPublicKey && readOid(curve) === SM2_OIDS.sm2Curve;
  } catch {
    return false;
  }
}

/** The uncompressed point of an SM2 SubjectPublicKeyInfo; throws Sm2FormatError for anything else. */
export function sm2SpkiDecode(spki: Uint8Array): Buffer {
  const parts = children(whole(spki, 0x30).value);
  const [alg, key] = parts;
  if (parts.length !== 2 || alg?.tag !== 0x30 || key?.tag !== 0x03) throw new Sm2FormatError("not an SPKI");
  const algParts = children(alg.value);
  if (algParts.length !== 2) throw new Sm2FormatError("not an SM2 key");
  if (readOid(algParts[0]) !== SM2_OIDS.ecPublicKey || readOid(algParts[1]) !== SM2_OIDS.sm2Curve)
    throw new Sm2FormatError("not an SM2 key");
  if (key.value[0] !== 0) throw new Sm2FormatError("unused bits in the key");
  return Buffer.from(checkPublic(key.value.subarray(1)), "hex");
}

/** PKCS#8 PrivateKeyInfo with an ECPrivateKey (RFC 5915) carrying the public key, as openssl writes SM2 keys. */
export function sm2Pkcs8Encode(privateKey: Uint8Array, publicKey?: Uint8Array): Buffer {
  const d = Buffer.from(checkPrivate(privateKey), "hex");
  const pub = publicKey ? Buffer.from(checkPublic(publicKey), "hex") : sm2PublicKeyOf(d);
  const ecKey = seq(
    tlv(0x02, Buffer.from([1])),
    octets(d),
    tlv(0xa1, tlv(0x03, Buffer.concat([Buffer.from([0]), pub]))),
  );
  return seq(tlv(0x02, Buffer.from([0])), seq(oid(SM2_OIDS.ecPublicKey), oid(SM2_OIDS.sm2Curve)), octets(ecKey));
}

/** The key pair in an SM2 PKCS#8 PrivateKeyInfo (the public key is recomputed when absent, checked when present). */
export function sm2Pkcs8Decode(der: Uint8Array): Sm2KeyPair {
  const [version, alg, keyOctets] = children(whole(der, 0x30).value);
  if (readUint(version) !== 0n || alg?.tag !== 0x30 || keyOctets?.tag !== 0x04)
    throw new Sm2FormatError("not a PKCS#8 PrivateKeyInfo");
  const [algOid, curve] = children(alg.value);
  if (readOid(algOid) !== SM2_OIDS.ecPublicKey || readOid(curve) !== SM2_OIDS.sm2Curve)
    throw new Sm2FormatError("not an SM2 key");
  const ec = children(whole(keyOctets.value, 0x30).value);
  if (readUint(ec[0]) !== 1n || ec[1]?.tag !== 0x04) throw new Sm2FormatError("not an ECPrivateKey");
  const raw = ec[1].value;
  // RFC 5915 pads d to the curve size; some writers drop leading zeros
  const d = Buffer.concat([Buffer.alloc(Math.max(0, 32 - raw.length)), raw]);
  const publicKey = sm2PublicKeyOf(d);
  const given = ec.find((t) => t.tag === 0xa1);
  if (given) {
    const bitString = whole(given.value, 0x03).value;
    if (!publicKey.equals(Buffer.from(checkPublic(bitString.subarray(1)), "hex")))
      throw new Sm2FormatError("the public key does not belong to the private key");
  }
  return { privateKey: d, publicKey };
}

/**
 * An encrypted PKCS#8 PEM (PBES2, AES-256-CBC) of an SM2 key, readable by `openssl pkey -passin`. OpenSSL does
 * the password-based encryption; the key itself is only carried, never used, by node:crypto.
 */
export function encryptSm2PrivateKeyPem(privateKey: Uint8Array, passphrase: string): string {
  const key = sm2KeyObject({ privateKey: Buffer.from(privateKey), publicKey: sm2PublicKeyOf(privateKey) });
  return key.export({ type: "pkcs8", format: "pem", cipher: "aes-256-cbc", passphrase }) as string;
}

/** The key pair in an (encrypted or plain) PKCS#8 PEM written by encryptSm2PrivateKeyPem or openssl. */
export function decryptSm2PrivateKeyPem(pem: string | Buffer, passphrase?: string): Sm2KeyPair {
  const key = createPrivateKey({ key: pem, format: "pem", passphrase });
  return sm2Pkcs8Decode(key.export({ type: "pkcs8", format: "der" }));
}

/**
 * The SM2 key pair inside a private KeyObject, or undefined for any other key. Node reads SM2 PKCS#8 into KeyObjects
 * without a key type (OpenSSL 3 calls them "SM2", Node knows no such type) and cannot sign SM2 with them.
 */
export function sm2PairOfKeyObject(key: KeyObject): Sm2KeyPair | undefined {
  if (key.asymmetricKeyType !== undefined || key.type !== "private") return undefined;
  try {
    return sm2Pkcs8Decode(key.export({ type: "pkcs8", format: "der" }));
  } catch {
    return undefined;
  }
}

/** A private KeyObject holding an SM2 key pair (to store or export it as the other keys are; not to sign). */
export function sm2KeyObject(pair: Sm2KeyPair): KeyObject {
  return createPrivateKey({ key: sm2Pkcs8Encode(pair.privateKey, pair.publicKey), format: "der", type: "pkcs8" });
}

// ---- SM3 ----

const NODE_SM3 = getHashes().includes("sm3");

export function sm3(...data: Uint8Array[]): Buffer {
  if (NODE_SM3) {
    const h = createHash("sm3");
    for (const d of data) h.update(d);
    return h.digest();
  }
  return Buffer.from(jsSm3(Buffer.concat(data)), "hex");
}

export function hmacSm3(key: Uint8Array, ...data: Uint8Array[]): Buffer {
  if (NODE_SM3) {
    const h = createHmac("sm3", key);
    for (const d of data) h.update(d);
    return h.digest();
  }
  return Buffer.from(jsSm3(Buffer.concat(data), { key, mode: "hmac" }), "hex");
}

// ---- which SM2 signature implementation: OpenSSL through koffi (native) or sm-crypto-v2 (js) ----

export type Sm2ImplChoice = "js" | "native" | "auto";

export interface Sm2ImplInfo {
  impl: "js" | "native";
  /** the OpenSSL that signs (native), e.g. "OpenSSL 3.0.19 27 Jan 2026 (this Node process)" */
  library?: string;
  /** why auto fell back to js */
  reason?: string;
}

let choice: Sm2ImplChoice | undefined;
let chosen: { native: Sm2Native | null; info: Sm2ImplInfo } | undefined;

/**
 * Choose the implementation again (tests, benches): "native" fails loudly when OpenSSL cannot be used, "auto" falls
 * back to sm-crypto-v2 with one warning. Without a call the choice is `SM2_IMPL` (default auto), made at first use.
 * `SM2_LIBCRYPTO=<file>` names the libcrypto to load instead of the process's own OpenSSL (see sm2-native.ts).
 */
export function useSm2Implementation(which: Sm2ImplChoice): Sm2ImplInfo {
  choice = which;
  chosen = undefined;
  return sm2Implementation();
}

/** The implementation SM2 signatures use in this process (thread), choosing it now if nobody did. */
export function sm2Implementation(): Sm2ImplInfo {
  return chooseImpl().info;
}

function chooseImpl(): { native: Sm2Native | null; info: Sm2ImplInfo } {
  if (chosen) return chosen;
  const want = choice ?? (process.env.SM2_IMPL || "auto").toLowerCase();
  if (want !== "js" && want !== "native" && want !== "auto")
    throw new Error(`SM2_IMPL=${want}: expected js, native or auto`);
  if (want === "js") return (chosen = { native: null, info: { impl: "js" } });
  try {
    const n = loadSm2Native({ library: process.env.SM2_LIBCRYPTO || undefined });
    selfTest(n);
    return (chosen = { native: n, info: { impl: "native", library: n.library } });
  } catch (e) {
    const reason = (e as Error).message;
    if (want === "native")
      throw new Error(`SM2_IMPL=native, but OpenSSL cannot sign SM2 here: ${reason}`, { cause: e });
    console.warn(`SM2 signatures: OpenSSL through koffi unavailable (${reason}); using sm-crypto-v2 (slower)`);
    return (chosen = { native: null, info: { impl: "js", reason } });
  }
}

const nativeSm2 = () => chooseImpl().native;

/** An arbitrary fixed private key, used only by the self-test. */
const SELF_TEST_D = "9f7ab0f1f9e8b0c5c88e1a1b0b0a3c7fb8c8d7b4a1a0e8f6d0c2b4a6e8f0a2c4";

/**
 * Before native signatures are used: OpenSSL's signature verifies with sm-crypto-v2 (and not for other data),
 * and sm-crypto-v2's verifies with OpenSSL (and not with another ID). Throws when any of it disagrees.
 */
function selfTest(n: Sm2Native): void {
  const d = Buffer.from(SELF_TEST_D, "hex");
  const pub = Buffer.from(gm2.getPublicKeyFromPrivateKey(SELF_TEST_D), "hex");
  const data = Buffer.from("CertRenew SM2 self-test 证书续期");
  const e = sm2Digest(data, pub);
  const priv = n.privateKey(sm2Pkcs8Encode(d, pub));
  const pubKey = n.publicKey(sm2SpkiEncode(pub));
  try {
    if (!pubKey) throw new Error("OpenSSL did not read the SM2 public key");
    const nativeSig = n.sign(priv, data, SM2_DEFAULT_ID);
    if (!jsVerifyDigest(e, nativeSig, pub)) throw new Error("sm-crypto-v2 rejects OpenSSL's signature");
    if (jsVerifyDigest(sm2Digest(Buffer.from("other"), pub), nativeSig, pub))
      throw new Error("sm-crypto-v2 accepts OpenSSL's signature for other data");
    const jsSig = sm2SignatureToDer(
      Buffer.from(gm2.doSignature(Uint8Array.from(e), SELF_TEST_D, { hash: false }), "hex"),
    );
    if (!n.verify(pubKey, data, jsSig, SM2_DEFAULT_ID)) throw new Error("OpenSSL rejects sm-crypto-v2's signature");
    if (n.verify(pubKey, data, jsSig, "1234567812345679")) throw new Error("OpenSSL ignores the signer ID");
    if (!n.verifyDigest(pubKey, e, n.signDigest(priv, e))) throw new Error("OpenSSL's digest signature fails");
  } finally {
    priv.free();
    pubKey?.free();
  }
}

/** PKCS#8 of d alone: OpenSSL computes the public key when it reads it (no JavaScript point multiplication). */
function pkcs8OfScalar(privateKey: Uint8Array): Buffer {
  const d = Buffer.from(checkPrivate(privateKey), "hex");
  const ecKey = seq(tlv(0x02, Buffer.from([1])), octets(d));
  return seq(tlv(0x02, Buffer.from([0])), seq(oid(SM2_OIDS.ecPublicKey), oid(SM2_OIDS.sm2Curve)), octets(ecKey));
}

/** An OpenSSL public key for a point (on the curve: OpenSSL checks), freed after `use`; false when it is refused. */
function withNativePublicKey(n: Sm2Native, publicKey: Uint8Array, use: (key: Sm2NativeKey) => boolean): boolean {
  const point = Buffer.from(publicKey);
  const shaped = (point.length === 65 && point[0] === 4) || (point.length === 33 && (point[0] === 2 || point[0] === 3));
  if (!shaped) return false;
  const key = n.publicKeyFromPoint(point);
  if (!key) return false;
  try {
    return use(key);
  } finally {
    key.free();
  }
}

// ---- SM2 signatures (GM/T 0003.2, DER as GM/T 0009 and X.509 carry them) ----

const SM2_PARAMS = Buffer.from(
  "FFFFFFFEFFFFFFFFFFFFFFFFFFFFFFFFFFFFFFFF00000000FFFFFFFFFFFFFFFC" + // a
    "28E9FA9E9D9F5E344D5A9E4BCF6509A7F39789F515AB8F92DDBCBD414D940E93" + // b
    "32C4AE2C1F1981195F9904466A39C9948FE30BBFF2660BE1715A4589334C74C7" + // Gx
    "BC3736A2F4F6779C59BDCEE36B692153D0A9877CC62A474002DF32E52139F0A0", // Gy
  "hex",
);

/** Z = SM3(ENTL ‖ ID ‖ a ‖ b ‖ Gx ‖ Gy ‖ x ‖ y) of GM/T 0003.2 §5.5. */
export function sm2Z(publicKey: Uint8Array, id: string = SM2_DEFAULT_ID): Buffer {
  const point = Buffer.from(checkPublic(publicKey), "hex");
  const idBytes = Buffer.from(id, "utf8");
  if (idBytes.length >= 8192) throw new Sm2FormatError("signer ID too long");
  const entl = Buffer.from([(idBytes.length * 8) >> 8, (idBytes.length * 8) & 0xff]);
  return sm3(entl, idBytes, SM2_PARAMS, point.subarray(1));
}

/** e = SM3(Z ‖ M): what an SM2 signature actually signs. */
export function sm2Digest(data: Uint8Array, publicKey: Uint8Array, id: string = SM2_DEFAULT_ID): Buffer {
  return sm3(sm2Z(publicKey, id), data);
}

export interface Sm2SignOptions {
  /** the signer's public key; computed from the private key when absent (one point multiplication) */
  publicKey?: Uint8Array;
  id?: string;
}

/** SM2 signature over raw data (SM3 with the Z value of the signer's key and ID), DER SEQUENCE { r, s }. */
export function sm2Sign(data: Uint8Array, privateKey: Uint8Array, options: Sm2SignOptions = {}): Buffer {
  const key = sm2SigningKey(privateKey, options.publicKey);
  try {
    return key.sign(data, options.id);
  } finally {
    key.close();
  }
}

const toBig = (b: Uint8Array) => BigInt(`0x${Buffer.from(b).toString("hex") || "0"}`);
const mod = (a: bigint) => ((a % N) + N) % N;
function modInverse(a: bigint): bigint {
  // Fermat: N is prime
  let result = 1n;
  let base = mod(a);
  for (let x = N - 2n; x > 0n; x >>= 1n) {
    if (x & 1n) result = (result * base) % N;
    base = (base * base) % N;
  }
  return result;
}

/**
 * The ephemeral pair (k, x1 of kG) of one signature. OpenSSL makes it when this Node has the SM2 curve (an ECDH key
 * generation: native, about 1.5–2× sm-crypto-v2's JavaScript scalar multiplication); the signature equation itself
 * is three modular operations here. Without the curve, sm-crypto-v2 signs.
 */
const ecdh = (() => {
  try {
    const e = createECDH("SM2");
    e.generateKeys();
    return e;
  } catch {
    return undefined;
  }
})();

/**
 * A private key ready to sign many times (the CA's key; sm2Sign makes a throwaway one): an OpenSSL EVP_PKEY made
 * once (native), or (1 + d)⁻¹ computed once (js).
 */
export interface Sm2SigningKey {
  publicKey: Buffer;
  /** DER SM2 signature over e = SM3(Z ‖ M) */
  signDigest(e: Uint8Array): Buffer;
  /** DER SM2 signature over raw data with the signer ID (default 1234567812345678) */
  sign(data: Uint8Array, id?: string): Buffer;
  /** frees the native key now (it is freed when garbage-collected otherwise); the key cannot sign afterwards */
  close(): void;
}

export function sm2SigningKey(privateKey: Uint8Array, publicKey?: Uint8Array): Sm2SigningKey {
  const n = nativeSm2();
  return n ? nativeSigningKey(n, privateKey, publicKey) : jsSigningKey(privateKey, publicKey);
}

function nativeSigningKey(n: Sm2Native, privateKey: Uint8Array, publicKey?: Uint8Array): Sm2SigningKey {
  const pub = publicKey ? Buffer.from(checkPublic(publicKey), "hex") : undefined;
  const key = n.privateKey(pub ? sm2Pkcs8Encode(privateKey, pub) : pkcs8OfScalar(privateKey));
  return {
    get publicKey() {
      return pub ?? sm2PublicKeyOf(privateKey);
    },
    signDigest(e) {
      if (e.length !== 32) throw new Sm2FormatError("an SM3 digest is 32 bytes");
      return n.signDigest(key, e);
    },
    sign: (data, id = SM2_DEFAULT_ID) => n.sign(key, data, id),
    close: () => key.free(),
  };
}

function jsSigningKey(privateKey: Uint8Array, publicKey?: Uint8Array): Sm2SigningKey {
  const dHex = checkPrivate(privateKey);
  const d = BigInt(`0x${dHex}`);
  const dInv = modInverse(1n + d);
  const pub = publicKey ? Buffer.from(checkPublic(publicKey), "hex") : undefined;
  const zDefault = new Map<string, Buffer>();
  const signDigest = (e: Uint8Array): Buffer => {
    if (e.length !== 32) throw new Sm2FormatError("an SM3 digest is 32 bytes");
    if (!ecdh) {
      const rs = gm2.doSignature(Uint8Array.from(e), dHex, { hash: false });
      return sm2SignatureToDer(Buffer.from(rs, "hex"));
    }
    const ev = toBig(e);
    for (;;) {
      ecdh.generateKeys();
      const k = toBig(ecdh.getPrivateKey());
      const x1 = toBig(ecdh.getPublicKey().subarray(1, 33));
      const r = mod(ev + x1);
      if (r === 0n || r + k === N) continue;
      const sv = mod(dInv * mod(k - r * d));
      if (sv === 0n) continue;
      return sm2SignatureToDer(Buffer.concat([b32(r), b32(sv)]));
    }
  };
  const self: Sm2SigningKey = {
    get publicKey() {
      return pub ?? sm2PublicKeyOf(privateKey);
    },
    signDigest,
    sign(data, id = SM2_DEFAULT_ID) {
      let z = zDefault.get(id);
      if (!z) zDefault.set(id, (z = sm2Z(self.publicKey, id)));
      return signDigest(sm3(z, data));
    },
    close() {},
  };
  return self;
}

/** r‖s (64 bytes, as SKF's ECCSIGNATUREBLOB and PKCS#11 return them) → DER SEQUENCE { r, s }. */
export function sm2SignatureToDer(rs: Uint8Array): Buffer {
  if (rs.length !== 64) throw new Sm2FormatError("a raw SM2 signature is 64 bytes");
  const b = Buffer.from(rs);
  return seq(uint(b.subarray(0, 32)), uint(b.subarray(32)));
}

/** DER SEQUENCE { r, s } → r‖s (64 bytes); throws Sm2FormatError when malformed or out of range. */
export function sm2SignatureFromDer(der: Uint8Array): Buffer {
  const parts = children(whole(der, 0x30).value);
  if (parts.length !== 2) throw new Sm2FormatError("an SM2 signature is SEQUENCE { r, s }");
  const r = readUint(parts[0]);
  const s = readUint(parts[1]);
  if (r < 1n || r >= N || s < 1n || s >= N) throw new Sm2FormatError("SM2 signature out of range");
  return Buffer.concat([b32(r), b32(s)]);
}

/** Whether `signature` (DER) is a valid SM2 signature of `data` by `publicKey` (point or SPKI) with `id`. */
export function sm2Verify(
  data: Uint8Array,
  signature: Uint8Array,
  publicKey: Uint8Array,
  id: string = SM2_DEFAULT_ID,
): boolean {
  try {
    const n = nativeSm2();
    if (n) {
      sm2SignatureFromDer(signature);
      const point = publicKey[0] === 0x30 ? sm2SpkiDecode(publicKey) : Buffer.from(publicKey);
      return withNativePublicKey(n, point, (key) => n.verify(key, data, signature, id));
    }
    const point = publicKey[0] === 0x30 ? sm2SpkiDecode(publicKey) : Buffer.from(checkPublic(publicKey), "hex");
    return sm2VerifyDigest(sm2Digest(data, point, id), signature, point);
  } catch (e) {
    if (e instanceof Sm2FormatError) return false;
    throw e;
  }
}

/** Verification over e = SM3(Z ‖ M) already computed. */
export function sm2VerifyDigest(e: Uint8Array, signature: Uint8Array, publicKey: Uint8Array): boolean {
  const n = nativeSm2();
  if (!n) return jsVerifyDigest(e, signature, publicKey);
  try {
    sm2SignatureFromDer(signature);
    if (e.length !== 32) return false;
    return withNativePublicKey(n, publicKey, (key) => n.verifyDigest(key, e, signature));
  } catch (err) {
    if (err instanceof Sm2FormatError) return false;
    throw err;
  }
}

function jsVerifyDigest(e: Uint8Array, signature: Uint8Array, publicKey: Uint8Array): boolean {
  try {
    const rs = sm2SignatureFromDer(signature).toString("hex");
    return gm2.doVerifySignature(Uint8Array.from(e), rs, checkPublic(publicKey), { hash: false });
  } catch (err) {
    if (err instanceof Sm2FormatError) return false;
    throw err;
  }
}

// ---- SM2 encryption (GM/T 0003.4) ----

/**
 * "c1c3c2": 04‖x1‖y1 ‖ C3 (32) ‖ C2, the byte string of GM/T 0003.4 (2012 order); "asn1": GM/T 0009
 * SM2Cipher SEQUENCE { XCoordinate INTEGER, YCoordinate INTEGER, HASH OCTET STRING, CipherText OCTET STRING },
 * what `openssl pkeyutl -encrypt` writes for SM2 keys.
 */
export type Sm2CipherForm = "c1c3c2" | "asn1";

export function sm2Encrypt(plain: Uint8Array, publicKey: Uint8Array, form: Sm2CipherForm = "c1c3c2"): Buffer {
  if (plain.length === 0) throw new Sm2FormatError("SM2 cannot encrypt an empty message");
  const pub = publicKey[0] === 0x30 ? sm2SpkiDecode(publicKey).toString("hex") : checkPublic(publicKey);
  const hex = gm2.doEncrypt(Uint8Array.from(plain), pub, 1);
  const raw = Buffer.from(`04${hex}`, "hex");
  return form === "asn1" ? sm2CipherToAsn1(raw) : raw;
}

/** The plaintext; throws Sm2FormatError when the ciphertext is malformed or its C3 check fails. */
export function sm2Decrypt(cipher: Uint8Array, privateKey: Uint8Array, form: Sm2CipherForm = "c1c3c2"): Buffer {
  const raw = form === "asn1" ? sm2CipherFromAsn1(cipher) : Buffer.from(cipher);
  if (raw.length < 65 + 32 + 1 || raw[0] !== 4) throw new Sm2FormatError("malformed SM2 ciphertext");
  checkPublic(raw.subarray(0, 65));
  const out = gm2.doDecrypt(raw.subarray(1).toString("hex"), checkPrivate(privateKey), 1, { output: "array" });
  if (!(out instanceof Uint8Array) || out.length === 0) throw new Sm2FormatError("SM2 decryption failed");
  return Buffer.from(out);
}

export function sm2CipherToAsn1(raw: Uint8Array): Buffer {
  const b = Buffer.from(raw);
  if (b.length < 65 + 32 + 1 || b[0] !== 4) throw new Sm2FormatError("malformed SM2 ciphertext");
  return seq(uint(b.subarray(1, 33)), uint(b.subarray(33, 65)), octets(b.subarray(65, 97)), octets(b.subarray(97)));
}

export function sm2CipherFromAsn1(der: Uint8Array): Buffer {
  const [x, y, hash, text, ...rest] = children(whole(der, 0x30).value);
  if (rest.length || hash?.tag !== 0x04 || hash.value.length !== 32 || text?.tag !== 0x04)
    throw new Sm2FormatError("malformed SM2Cipher");
  const xv = readUint(x);
  const yv = readUint(y);
  if (xv >= 1n << 256n || yv >= 1n << 256n) throw new Sm2FormatError("malformed SM2Cipher");
  return Buffer.concat([Buffer.from([4]), b32(xv), b32(yv), hash.value, text.value]);
}

// ---- SM4 ----

export type Sm4Mode = "ecb" | "cbc" | "ctr";

export interface Sm4Options {
  mode: Sm4Mode;
  /** 16 bytes; required for cbc and ctr */
  iv?: Uint8Array;
  /** PKCS#7 padding for ecb/cbc (default true); ctr never pads */
  padding?: boolean;
  /** which implementation: node:crypto's OpenSSL when it has SM4 (the default), or sm-crypto-v2 */
  engine?: "node" | "js";
}

const NODE_SM4 = new Set(getCiphers());
export const nodeHasSm4 = NODE_SM4.has("sm4-ecb") && NODE_SM4.has("sm4-cbc");

function sm4Check(key: Uint8Array, options: Sm4Options): void {
  if (key.length !== 16) throw new Sm2FormatError("an SM4 key is 16 bytes");
  if (options.mode !== "ecb" && options.iv?.length !== 16) throw new Sm2FormatError("SM4 needs a 16-byte IV");
}

function useNode(options: Sm4Options): boolean {
  const engine = options.engine ?? (nodeHasSm4 ? "node" : "js");
  if (engine === "node" && !NODE_SM4.has(`sm4-${options.mode}`))
    throw new Sm2FormatError(`node:crypto has no sm4-${options.mode}`);
  if (engine === "js" && options.mode === "ctr") return false;
  return engine === "node";
}

function jsCtr(key: Uint8Array, iv: Uint8Array, data: Uint8Array): Buffer {
  const out = Buffer.alloc(data.length);
  const counter = Buffer.from(iv);
  for (let i = 0; i < data.length; i += 16) {
    const ks = jsSm4.encrypt(counter, key, { mode: "ecb", padding: "none", output: "array" });
    for (let j = 0; j < 16 && i + j < data.length; j++) out[i + j] = data[i + j]! ^ ks[j]!;
    for (let j = 15; j >= 0; j--) if (++counter[j]! <= 0xff) break;
  }
  return out;
}

export function sm4Encrypt(key: Uint8Array, data: Uint8Array, options: Sm4Options): Buffer {
  sm4Check(key, options);
  const padding = options.mode !== "ctr" && options.padding !== false;
  if (useNode(options)) {
    const c = createCipheriv(`sm4-${options.mode}`, key, options.mode === "ecb" ? null : options.iv!);
    c.setAutoPadding(padding);
    return Buffer.concat([c.update(data), c.final()]);
  }
  if (options.mode === "ctr") return jsCtr(key, options.iv!, data);
  return Buffer.from(
    jsSm4.encrypt(Uint8Array.from(data), key, {
      mode: options.mode,
      iv: options.iv,
      padding: padding ? "pkcs#7" : "none",
      output: "array",
    }),
  );
}

export function sm4Decrypt(key: Uint8Array, data: Uint8Array, options: Sm4Options): Buffer {
  sm4Check(key, options);
  const padding = options.mode !== "ctr" && options.padding !== false;
  if (options.mode !== "ctr" && data.length % 16 !== 0) throw new Sm2FormatError("SM4 ciphertext length");
  if (useNode(options)) {
    const d = createDecipheriv(`sm4-${options.mode}`, key, options.mode === "ecb" ? null : options.iv!);
    d.setAutoPadding(padding);
    try {
      return Buffer.concat([d.update(data), d.final()]);
    } catch {
      throw new Sm2FormatError("SM4 padding check failed");
    }
  }
  if (options.mode === "ctr") return jsCtr(key, options.iv!, data);
  try {
    return Buffer.from(
      jsSm4.decrypt(Uint8Array.from(data), key, {
        mode: options.mode,
        iv: options.iv,
        padding: padding ? "pkcs#7" : "none",
        output: "array",
      }),
    );
  } catch {
    throw new Sm2FormatError("SM4 padding check failed");
  }
}
